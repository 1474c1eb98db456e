"""Reminders, sent by the timers (manage.py run_timers) at the real time: to the party who must
act 12 hours before their deadline, to both parties 48 hours before the gig; each once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from bookings.models import Booking, Reminder
from bookings.services import booking_context, booking_transition
from bookings.state_machine import waiting_of
from bookings.tests.factories import make_booking
from catalog.models import Service
from gigsta.tests.helpers import tasks_run
from inbox.models import Kind, Notification
from inbox.services import email_preferences_set

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def run_timers() -> None:
    call_command("run_timers", stdout=open("/dev/null", "w"))  # noqa: SIM115
    tasks_run()


def waited(booking: Booking, hours: float) -> Booking:
    """The booking as if its state had changed `hours` ago."""
    Booking.objects.filter(pk=booking.pk).update(updated_at=timezone.now() - dt.timedelta(hours=hours))
    return Booking.objects.get(pk=booking.pk)


def reminders(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user, kind=Kind.REMINDER).values_list("text", flat=True))


def test_the_provider_is_reminded_12_hours_before_their_time_to_answer_runs_out(booking, provider, client_user):
    waited(booking, 35)  # 13 hours left: not yet
    mail.outbox.clear()
    run_timers()
    assert reminders(provider) == [] and mail.outbox == []
    booking = waited(booking, 36.5)  # 11.5 hours left
    run_timers()
    [text] = reminders(provider)
    assert "Reminder. You have until " in text and text.endswith("to answer.")
    assert reminders(client_user) == []
    [email] = mail.outbox
    assert email.to == [provider.email] and email.subject.startswith("[GigSta] Reminder: ")
    assert "You have until " in email.body and "to answer" in email.body


def test_a_reminder_is_sent_once_however_often_the_timers_run(booking, provider):
    waited(booking, 40)
    mail.outbox.clear()
    run_timers()
    run_timers()
    assert len(reminders(provider)) == 1 and len(mail.outbox) == 1
    assert Reminder.objects.filter(booking=booking).count() == 1


def test_a_new_deadline_gets_its_own_reminder(booking, provider, client_user):
    booking = waited(booking, 40)
    run_timers()
    booking_transition(booking=booking, action="accept", actor=provider)
    booking = waited(Booking.objects.get(pk=booking.pk), 64)  # 8 of the 72 hours to pay left
    run_timers()
    assert len(reminders(provider)) == 2  # the answer, then confirming the payment (paid by bank transfer)
    ats = sorted(Reminder.objects.filter(booking=booking).values_list("at", flat=True))
    assert ats[1] == waiting_of(booking, booking_context()).at


def test_no_reminder_when_the_clock_started_less_than_12_hours_before_it_runs_out(client_user, service, provider):
    soon = timezone.now() + 10 * HOUR  # a request for a gig in 10 hours: answer before it starts
    booking = make_booking(client=client_user, service=service, starts_at=soon)
    run_timers()
    assert waiting_of(booking, booking_context()).at == booking.starts_at
    assert reminders(provider) == []  # the request itself said until when


def test_an_answered_request_is_not_reminded_of(booking, provider):
    booking = waited(booking, 40)
    call_command("run_timers", stdout=open("/dev/null", "w"))  # noqa: SIM115  recorded, email queued
    mail.outbox.clear()
    booking_transition(booking=booking, action="decline", actor=provider)
    tasks_run()
    assert all("Reminder" not in m.subject for m in mail.outbox)  # the email checks it still waits


def test_reminder_emails_honour_the_preference_and_the_inbox_gets_it_anyway(booking, provider):
    email_preferences_set(user=provider, kinds=[Kind.BOOKING, Kind.MESSAGE])
    waited(booking, 40)
    mail.outbox.clear()
    run_timers()
    assert len(reminders(provider)) == 1 and mail.outbox == []


def test_both_parties_are_reminded_48_hours_before_the_gig_in_venue_time(client_user, service, provider):
    Service.objects.filter(pk=service.pk).update(timezone="Europe/Lisbon", city="Lisbon, Portugal")
    service.refresh_from_db()
    early = timezone.now().replace(second=0, microsecond=0) + 50 * HOUR
    booking = make_booking(client=client_user, service=service, starts_at=early, to_state="confirmed")
    mail.outbox.clear()
    run_timers()
    assert mail.outbox == []  # 50 hours ahead: not yet
    Booking.objects.filter(pk=booking.pk).update(starts_at=F("starts_at") - 20 * HOUR, ends_at=F("ends_at") - 20 * HOUR)
    starts = early - 20 * HOUR  # as if 20 hours had passed
    run_timers()
    run_timers()
    local = starts.astimezone(ZoneInfo("Europe/Lisbon"))
    words = f"Your gig is on {local:%a %-d %b} at {local:%H:%M} local time in Lisbon, Portugal, at Villa Rosa, Potsdam."
    for user in (client_user, provider):
        assert [t.split("Reminder. ")[1] for t in reminders(user)] == [words]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([client_user.email, provider.email])
    assert all(words in m.body and local.strftime("%H:%M") in m.subject for m in mail.outbox)


def test_no_gig_reminder_for_a_cancelled_booking(client_user, service, provider):
    starts = timezone.now() + 30 * HOUR
    booking = make_booking(client=client_user, service=service, starts_at=starts, to_state="confirmed")
    booking_transition(booking=booking, action="cancel", actor=client_user)
    tasks_run()
    mail.outbox.clear()
    run_timers()
    assert reminders(client_user) == [] and mail.outbox == []
