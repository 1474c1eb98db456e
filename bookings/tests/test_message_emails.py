"""Emails about new messages: a task after commit, to whoever has not read them, at most one per
thread every MESSAGE_EMAIL_EVERY; the words are the sender's, escaped in the HTML part."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction

from bookings.models import ThreadReader
from bookings.notifications import MESSAGE_EMAIL_EVERY
from bookings.services import message_create, thread_mark_read
from bookings.tests.factories import at, make_booking
from bookings.tests.files import pdf
from gigsta.tests.helpers import tasks_due, tasks_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet(booking):
    """A booking whose own emails (the request) are out of the way."""
    tasks_run()
    mail.outbox.clear()
    return booking


def time_passes(booking, by: dt.timedelta) -> None:
    """Move the thread's clock marks back, as if `by` had passed since they were set."""
    for reader in ThreadReader.objects.filter(booking=booking, emailed_at__isnull=False):
        ThreadReader.objects.filter(pk=reader.pk).update(emailed_at=reader.emailed_at - by)


def message_emails() -> list:
    return [m for m in mail.outbox if "message" in m.subject]


def test_a_message_emails_the_other_party_after_commit_not_in_the_request(quiet, client_user, provider):
    with transaction.atomic():
        message_create(booking=quiet, author=client_user, body="Can you bring a second speaker?", files=[pdf()])
        assert tasks_due().count() == 1  # queued with the message
    assert mail.outbox == []  # the worker sends it
    tasks_run()
    [email] = mail.outbox
    assert email.to == [provider.email]
    assert email.subject == f"[GigSta] New message from Carla Client about {quiet.service.title}"
    assert "Can you bring a second speaker?" in email.body and "[Attached: quote.pdf]" in email.body
    assert f"/bookings/{quiet.public_id}/#thread" in email.body


def test_a_message_that_rolls_back_sends_nothing(quiet, client_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        message_create(booking=quiet, author=client_user, body="Never mind")
        raise RuntimeError("the request failed after writing")
    tasks_run()
    assert mail.outbox == []


def test_at_most_one_email_per_ten_minutes_while_messages_wait_unread(quiet, client_user, provider):
    message_create(booking=quiet, author=client_user, body="First")
    tasks_run()
    message_create(booking=quiet, author=client_user, body="Second")
    message_create(booking=quiet, author=client_user, body="Third")
    tasks_run()
    assert [m.to for m in mail.outbox] == [[provider.email]]  # the first only, so far
    assert tasks_due(later=MESSAGE_EMAIL_EVERY).count() >= 1  # the next one waits for its turn

    time_passes(quiet, MESSAGE_EMAIL_EVERY + dt.timedelta(seconds=1))
    tasks_run(later=MESSAGE_EMAIL_EVERY)
    assert len(mail.outbox) == 2  # one email for both messages that came meanwhile
    later = mail.outbox[1]
    assert later.subject == f"[GigSta] 2 new messages about {quiet.service.title}"
    assert "Second" in later.body and "Third" in later.body and "First" not in later.body
    assert tasks_due(later=MESSAGE_EMAIL_EVERY * 2).count() == 0  # nothing left to tell


def test_messages_read_before_their_turn_are_not_emailed(quiet, client_user, provider):
    message_create(booking=quiet, author=client_user, body="First")
    tasks_run()
    second = message_create(booking=quiet, author=client_user, body="Second")
    tasks_run()
    thread_mark_read(booking=quiet, user=provider, upto=second.created_at)  # the provider opened the page
    time_passes(quiet, MESSAGE_EMAIL_EVERY + dt.timedelta(seconds=1))
    tasks_run(later=MESSAGE_EMAIL_EVERY)
    assert len(mail.outbox) == 1


def test_a_message_read_before_the_worker_gets_to_it_is_not_emailed(quiet, client_user, provider):
    message = message_create(booking=quiet, author=client_user, body="Hello")
    thread_mark_read(booking=quiet, user=provider, upto=message.created_at)
    tasks_run()
    assert mail.outbox == []


def test_the_interval_is_per_thread_and_per_party(quiet, client_user, provider, service):
    other = make_booking(client=client_user, service=service, starts_at=at(60))
    tasks_run()
    mail.outbox.clear()
    for booking, author, body in [
        (quiet, client_user, "About the first gig"),
        (other, client_user, "About the second gig"),  # another thread: its own interval
        (quiet, provider, "A reply"),  # another party: their own interval
    ]:
        message_create(booking=booking, author=author, body=body)
        tasks_run()
    assert [(m.to[0], m.body.split("\n\n")[2].splitlines()[1]) for m in mail.outbox] == [
        (provider.email, "About the first gig"),
        (provider.email, "About the second gig"),
        (client_user.email, "A reply"),
    ]


def test_a_reply_counts_as_having_read(quiet, client_user, provider):
    message_create(booking=quiet, author=client_user, body="Question")
    message_create(booking=quiet, author=provider, body="Answer")  # before the worker ran
    tasks_run()
    assert [m.to for m in mail.outbox] == [[client_user.email]]


def test_staff_messages_reach_both_parties(quiet, client_user, provider, staff_user):
    message_create(booking=quiet, author=staff_user, body="GigSta here: we are looking into it.")
    tasks_run()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([client_user.email, provider.email])
    assert all("New message from GigSta staff" in m.subject for m in mail.outbox)


def test_the_email_shows_the_words_and_runs_none_of_them(quiet, client_user, provider):
    client_user.display_name = "Carla <b>& Co</b>"
    client_user.save()
    message_create(booking=quiet, author=client_user, body='<script>alert("x")</script>\nSee <a href="//evil">this</a>')
    tasks_run()
    [email] = mail.outbox
    assert '<script>alert("x")</script>' in email.body  # plain text: as written
    assert "Carla <b>& Co</b>" in email.subject
    html = email.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>" in html
    assert '<a href="//evil">' not in html and "Carla &lt;b&gt;&amp; Co&lt;/b&gt;" in html
