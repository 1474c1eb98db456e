"""Who hears of what in the inbox: every change, message and reminder that emails a party also
lands in their inbox, written with the change; the emails honour the preferences."""

import pytest
from django.core import mail
from django.db import transaction

from bookings.models import Booking
from bookings.services import booking_transition, message_create
from bookings.tests.factories import send_offer
from gigsta.tests.helpers import tasks_run
from inbox.models import Kind, Notification
from inbox.services import email_preferences_set

pytestmark = pytest.mark.django_db


def texts(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("text", flat=True))


def test_a_request_lands_in_the_providers_inbox_with_the_time_to_answer(booking, provider, client_user):
    [line] = texts(provider)
    assert line.startswith(f"{booking.service.title}, ")
    assert "Booking requested." in line and "You have until " in line and " to answer." in line
    assert texts(client_user) == []  # the one who acted is not told


def test_the_inbox_line_is_written_with_the_change_before_any_task_runs(booking, provider, client_user):
    booking_transition(booking=booking, action="accept", actor=provider)
    [line] = texts(client_user)  # no tasks_run: the row is not the email task's
    assert "Request accepted" in line and "to confirm your payment" in line


def test_a_change_rolled_back_leaves_no_inbox_line(booking, provider, client_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        booking_transition(booking=booking, action="accept", actor=provider)
        assert len(texts(client_user)) == 1
        raise RuntimeError("the request failed after the change")
    assert texts(client_user) == []


def test_everyone_emailed_about_a_change_has_it_in_the_inbox(booking, provider, client_user):
    tasks_run()
    mail.outbox.clear()
    booking_transition(booking=booking, action="expire", actor=None, now=booking.starts_at)
    tasks_run()
    emailed = sorted(m.to[0] for m in mail.outbox)
    told = sorted(Notification.objects.filter(text__contains="Expired").values_list("recipient__email", flat=True))
    assert emailed == told == sorted([client_user.email, provider.email])


def test_an_offer_tells_the_client_until_when_they_may_take_it(booking, client_user):
    send_offer(booking)
    line = texts(client_user)[-1]
    assert "Offer sent" in line and "You have until " in line and "to accept or decline the offer" in line


def test_a_message_lands_in_the_other_partys_inbox_and_is_quoted_short(booking, provider, client_user):
    message_create(booking=booking, author=client_user, body="Can you play <b>jazz</b>?\n" + "x" * 400)
    [line] = list(Notification.objects.filter(recipient=provider, kind=Kind.MESSAGE))
    assert "Carla Client wrote “Can you play <b>jazz</b>? xxx" in line.text and line.text.endswith("…”")
    assert not Notification.objects.filter(recipient=client_user, kind=Kind.MESSAGE).exists()


def test_email_preferences_are_read_when_the_email_task_runs(booking, provider, client_user):
    tasks_run()
    mail.outbox.clear()
    booking_transition(booking=booking, action="accept", actor=provider)
    email_preferences_set(user=client_user, kinds=[Kind.MESSAGE, Kind.REMINDER])  # after queueing, before running
    message_create(booking=booking, author=provider, body="Hello")
    tasks_run()
    assert [m.subject for m in mail.outbox if m.to == [client_user.email]] == [
        "[GigSta] New message from Pete Provider about " + booking.service.title
    ]
    assert Notification.objects.filter(recipient=client_user).count() == 2  # the inbox gets both regardless


def test_no_message_emails_when_messages_are_off(booking, provider, client_user):
    tasks_run()
    mail.outbox.clear()
    email_preferences_set(user=provider, kinds=[Kind.BOOKING])
    message_create(booking=booking, author=client_user, body="Hi")
    tasks_run()
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=provider, kind=Kind.MESSAGE).count() == 1


def test_names_and_bodies_are_escaped_in_the_inbox_page_and_the_html_email(client, booking, provider, client_user):
    client_user.display_name = "<script>alert(1)</script>"
    client_user.save()
    message_create(booking=Booking.objects.get(pk=booking.pk), author=client_user, body="<img src=x onerror=alert(2)>")
    tasks_run()
    html = next(m.alternatives[0][0] for m in mail.outbox if m.to == [provider.email] and "message" in m.subject)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    client.force_login(provider)
    page = client.get("/notifications/").content.decode()
    assert "<img src=x" not in page and "<script>alert(1)" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
