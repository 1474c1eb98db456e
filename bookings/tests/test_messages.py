"""bookings.services.message_create: who may write, what is refused, and that a message is
written whole (its files with it) or not at all."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import FileSystemStorage
from django_tasks_db.models import DBTaskResult

from bookings.models import MAX_MESSAGE_LENGTH, Message, MessageAttachment, ThreadReader
from bookings.services import message_create, thread_mark_read
from bookings.tests.files import HTML, pdf, png, upload

pytestmark = pytest.mark.django_db


def stored_files(attachments_dir) -> list[str]:
    return sorted(str(p.relative_to(attachments_dir)) for p in attachments_dir.rglob("*") if p.is_file())


@pytest.fixture
def attachments(attachments_dir):
    """The test's own files in the attachments folder: none before, and gone after."""
    before = set(stored_files(attachments_dir))
    yield lambda: sorted(set(stored_files(attachments_dir)) - before)


def queued() -> list[str]:
    return sorted(DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True))


def test_a_party_writes_with_files(booking, client_user, attachments):
    message = message_create(
        booking=booking, author=client_user, body="  Here is the stage plan.\n ", files=[pdf(), png()]
    )
    assert message.body == "Here is the stage plan." and not message.as_staff
    files = list(message.attachments.all())
    assert [(f.name, f.content_type) for f in files] == [("quote.pdf", "application/pdf"), ("stage.png", "image/png")]
    assert all(f.file.name.startswith(f"messages/{booking.public_id.hex}/") for f in files)
    assert len(attachments()) == 2
    assert files[0].file.open("rb").read().startswith(b"%PDF-")


def test_staff_write_as_staff_and_strangers_not_at_all(booking, staff_user, stranger):
    assert message_create(booking=booking, author=staff_user, body="We are looking into it.").as_staff
    with pytest.raises(PermissionDenied):
        message_create(booking=booking, author=stranger, body="Hello?")
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [("", "body"), ("   \n\t ", "body"), ("x" * (MAX_MESSAGE_LENGTH + 1), "body"), ("nul\x00here", "body")],
)
def test_empty_long_or_unstorable_text_is_refused_and_nothing_is_written(
    booking, client_user, body, field, attachments
):
    with pytest.raises(ValidationError) as refused:
        message_create(booking=booking, author=client_user, body=body, files=[pdf()])
    assert field in refused.value.message_dict
    assert not Message.objects.exists() and attachments() == []
    assert queued() == []


def test_one_refused_file_refuses_the_message_and_stores_none(booking, client_user, attachments):
    with pytest.raises(ValidationError) as refused:
        message_create(booking=booking, author=client_user, body="Two files", files=[pdf(), upload("x.pdf", HTML)])
    assert refused.value.message_dict == {"files": ["x.pdf is not a PDF, JPEG, PNG or WebP file we can open."]}
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()
    assert attachments() == [] and queued() == []


class FlakyStorage(FileSystemStorage):
    """Object storage that fails on the second upload (a network error halfway through a message)."""

    saved = 0

    def _save(self, name, content):
        FlakyStorage.saved += 1
        if FlakyStorage.saved == 2:
            raise OSError("connection reset by the bucket")
        return super()._save(name, content)


def test_a_storage_failure_halfway_leaves_no_row_and_no_file(booking, client_user, settings, tmp_path):
    FlakyStorage.saved = 0
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {"BACKEND": f"{__name__}.FlakyStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    with pytest.raises(OSError):
        message_create(booking=booking, author=client_user, body="Plans", files=[pdf(), png()])
    assert FlakyStorage.saved == 2  # the first file was stored, then removed again
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert queued() == []


def test_a_message_queues_its_email_and_marks_the_author_read(booking, client_user, provider):
    message = message_create(booking=booking, author=client_user, body="Can you play a little longer?")
    assert queued() == ["bookings.notifications.message_email"]
    marks = dict(ThreadReader.objects.filter(booking=booking).values_list("user_id", "read_upto"))
    assert marks == {client_user.pk: message.created_at, provider.pk: None}


def test_a_read_mark_only_moves_forward(booking, client_user, provider):
    first = message_create(booking=booking, author=client_user, body="One")
    second = message_create(booking=booking, author=client_user, body="Two")
    thread_mark_read(booking=booking, user=provider, upto=second.created_at)
    thread_mark_read(booking=booking, user=provider, upto=first.created_at)
    assert ThreadReader.objects.get(booking=booking, user=provider).read_upto == second.created_at


def test_messages_are_never_changed(booking, client_user):
    message = message_create(booking=booking, author=client_user, body="As written")
    message.body = "Rewritten"
    with pytest.raises(ValueError, match="immutable"):
        message.save()
