"""The thread on the booking page: writing with and without JavaScript, files served only to the
parties and staff, live updates with the card's polls, escaping, and constant query counts."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import session_queries
from bookings.models import Message, MessageAttachment, ThreadReader
from bookings.services import message_create
from bookings.tests.files import HTML, pdf, png, upload
from gigsta.tests.helpers import tasks_run

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def page_url(booking) -> str:
    return reverse("bookings:detail", args=[booking.public_id])


def post_url(booking) -> str:
    return reverse("bookings:message", args=[booking.public_id])


def test_without_javascript_a_message_is_a_form_post_and_a_redirect_to_the_thread(client, client_user, booking):
    client.force_login(client_user)
    page = client.get(page_url(booking)).content.decode()
    assert 'enctype="multipart/form-data"' in page and f'action="{post_url(booking)}"' in page
    assert 'data-testid="thread-empty"' in page
    response = client.post(post_url(booking), {"body": "Is there parking at the venue?", "files": [pdf(), png()]})
    assert response.status_code == 302 and response["Location"] == page_url(booking) + "#thread"
    page = client.get(response["Location"]).content.decode()
    assert "Is there parking at the venue?" in page
    assert page.count('data-testid="attachment"') == 2


def test_with_htmx_the_thread_comes_back_with_an_empty_form(client, provider, booking):
    client.force_login(provider)
    response = client.post(post_url(booking), {"body": "Yes, behind the hall."}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="thread"') and "Yes, behind the hall." in html
    assert "</textarea>" in html and "behind the hall.</textarea>" not in html  # the form is empty again
    assert Message.objects.get().author == provider


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"body": "   "}, "Write a message."),
        ({"body": "x" * 2001}, "Ensure this value has at most 2000 characters"),
        (
            {"body": "Invoice attached", "files": lambda: [upload("invoice.pdf", HTML, "application/pdf")]},
            "invoice.pdf is not",
        ),
        ({"body": "Five files", "files": lambda: [pdf() for _ in range(5)]}, "Attach at most 4 files"),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_bad_input_is_shown_at_the_form_and_nothing_is_written_or_sent(
    client, client_user, booking, data, error, headers
):
    tasks_run()
    mail.outbox.clear()
    client.force_login(client_user)
    data = {k: v() if callable(v) else v for k, v in data.items()}  # files are read once: new ones each time
    response = client.post(post_url(booking), data, headers=headers)
    assert response.status_code == 200
    assert error in response.content.decode()
    if data["body"].strip() and len(data["body"]) <= 2000:
        assert f"{data['body']}</textarea>" in response.content.decode()  # what they wrote is kept
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()
    tasks_run()
    assert mail.outbox == []


def test_strangers_can_neither_read_nor_write_nor_download(client, client_user, stranger, booking):
    message = message_create(booking=booking, author=client_user, body="Private", files=[pdf()])
    file_url = reverse("bookings:attachment", args=[booking.public_id, message.attachments.get().public_id])
    client.force_login(stranger)
    assert client.get(page_url(booking)).status_code == 404
    assert client.post(post_url(booking), {"body": "Hi"}).status_code == 404
    assert client.get(file_url).status_code == 404
    assert Message.objects.count() == 1
    client.logout()
    assert client.get(file_url).status_code == 302  # to the login page


def test_staff_read_and_write_as_staff(client, staff_user, client_user, booking):
    message_create(booking=booking, author=client_user, body="The band was two hours late.")
    client.force_login(staff_user)
    page = client.get(page_url(booking)).content.decode()
    assert "The band was two hours late." in page and "Send as staff" in page
    client.post(post_url(booking), {"body": "We are looking into it."})
    page = client.get(page_url(booking)).content.decode()
    assert page.count("GigSta staff</span>") == 1
    assert not ThreadReader.objects.filter(user=staff_user).exists()  # staff reading marks nothing


def test_files_are_served_with_their_real_type_a_safe_name_and_no_sniffing(client, provider, client_user, booking):
    message = message_create(
        booking=booking, author=client_user, body="Files", files=[pdf('plan"; x=.pdf'), png("stage.png")]
    )
    document, image = message.attachments.all()
    client.force_login(provider)
    response = client.get(reverse("bookings:attachment", args=[booking.public_id, document.public_id]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="plan_ x=.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
    response = client.get(reverse("bookings:attachment", args=[booking.public_id, image.public_id]))
    assert response["Content-Type"] == "image/png" and response["Content-Disposition"] == 'inline; filename="stage.png"'
    other = reverse("bookings:attachment", args=[booking.public_id, booking.public_id])  # not one of its files
    assert client.get(other).status_code == 404


def test_a_file_missing_from_storage_is_not_found_not_an_error(client, provider, client_user, booking):
    message = message_create(booking=booking, author=client_user, body="File", files=[pdf()])
    attachment = message.attachments.get()
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(provider)
    assert client.get(reverse("bookings:attachment", args=[booking.public_id, attachment.public_id])).status_code == 404


def test_bodies_and_names_are_escaped(client, provider, client_user, booking):
    client_user.display_name = "<i>Carla</i>"
    client_user.save()
    message_create(
        booking=booking, author=client_user, body="<script>alert(1)</script>\nline two", files=[pdf("<img src=x>.pdf")]
    )
    client.force_login(provider)
    page = client.get(page_url(booking)).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;<br>line two" in page
    assert "<i>Carla</i>" not in page and "&lt;i&gt;Carla&lt;/i&gt;" in page
    assert "<img src=x>" not in page and "_img src=x_.pdf" in page


def test_the_newest_message_is_at_the_bottom(client, provider, client_user, booking):
    for body in ("first message", "second message", "third message"):
        message_create(booking=booking, author=client_user, body=body)
    client.force_login(provider)
    page = client.get(page_url(booking)).content.decode()
    assert page.index("first message") < page.index("second message") < page.index("third message")


def test_viewing_the_thread_marks_it_read(client, provider, client_user, booking):
    message = message_create(booking=booking, author=client_user, body="Hello")
    client.force_login(provider)
    client.get(page_url(booking))
    assert ThreadReader.objects.get(booking=booking, user=provider).read_upto == message.created_at


def test_the_cards_poll_brings_new_messages_out_of_band(client, provider, client_user, booking):
    client.force_login(provider)
    first = client.get(page_url(booking), headers=HTMX)
    assert 'id="thread-messages"' in first.content.decode() and 'hx-swap-oob="true"' in first.content.decode()
    again = client.get(page_url(booking), headers={**HTMX, "If-None-Match": first["ETag"]})
    assert again.status_code == 304
    message_create(booking=booking, author=client_user, body="Something new")
    changed = client.get(page_url(booking), headers={**HTMX, "If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert "Something new" in changed.content.decode()
    assert ThreadReader.objects.get(booking=booking, user=provider).read_upto is not None


def test_a_closed_booking_keeps_its_thread_live_more_slowly(client, provider, booking):
    from bookings.services import booking_transition

    client.force_login(provider)
    assert 'hx-trigger="every 5s"' in client.get(page_url(booking)).content.decode()
    booking_transition(booking=booking, action="decline", actor=provider)
    assert 'hx-trigger="every 15s"' in client.get(page_url(booking)).content.decode()
    assert client.post(post_url(booking), {"body": "Sorry, maybe another date?"}).status_code == 302


@pytest.mark.parametrize("poll", [False, True], ids=["page", "poll"])
def test_the_thread_costs_the_same_queries_with_3_or_30_messages(
    client, provider, client_user, booking, django_assert_num_queries, settings, poll
):
    client.force_login(provider)
    headers = HTMX if poll else {}

    def write(n):
        for i in range(n):
            message_create(
                booking=booking, author=client_user, body=f"Message {i}", files=[png()] if i % 3 == 0 else []
            )

    write(3)
    client.get(page_url(booking), headers=headers)
    # user, booking, ledger, events, messages, their files, the read mark, the nav's unread count
    # (+ marking the booking's notifications read on the page, + the thread's mark for the poll's
    # ETag) (+ session); a booking not yet completed has no reviews to read
    expected = 9 + session_queries(settings)
    with django_assert_num_queries(expected):
        assert client.get(page_url(booking), headers=headers).status_code == 200
    write(27)
    with django_assert_num_queries(expected):
        response = client.get(page_url(booking), headers=headers)
    assert response.content.decode().count('data-testid="message"') == 30
