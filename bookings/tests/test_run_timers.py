import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import make_user
from bookings.models import Booking, BookingEvent
from bookings.services import booking_request, booking_transition
from bookings.tests.factories import at, make_booking

pytestmark = pytest.mark.django_db


def age(booking: Booking, **delta) -> None:
    """Pretend the booking's last transition happened this long ago."""
    Booking.objects.filter(pk=booking.pk).update(updated_at=timezone.now() - dt.timedelta(**delta))


def test_unanswered_request_expires_after_the_window(booking):
    age(booking, hours=47)
    call_command("run_timers")
    booking.refresh_from_db()
    assert booking.state == "requested"
    age(booking, hours=49)
    call_command("run_timers")
    booking.refresh_from_db()
    assert booking.state == "expired"
    event = booking.events.last()
    assert (event.action, event.actor, event.source) == ("expire", None, "system")


def test_unpaid_acceptance_expires_and_frees_the_day(client_user, service):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    age(booking, hours=73)
    call_command("run_timers")
    booking.refresh_from_db()
    assert booking.state == "expired"
    assert not booking.provider.busy_days.filter(kind="booking").exists()


def test_confirmed_gig_completes_days_later(client_user, service):
    gig = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(1))
    Booking.objects.filter(pk=gig.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=4, hours=3), ends_at=timezone.now() - dt.timedelta(days=4)
    )
    call_command("run_timers")
    gig.refresh_from_db()
    assert gig.state == "completed" and gig.events.last().action == "auto_complete"


def test_running_twice_changes_nothing_more(booking, capsys):
    age(booking, hours=49)
    call_command("run_timers")
    call_command("run_timers")
    assert BookingEvent.objects.filter(action="expire").count() == 1
    assert "0 applied" in capsys.readouterr().out.splitlines()[-1]


def test_a_booking_answered_meanwhile_is_left_alone(booking, provider, monkeypatch):
    """The timer picks a candidate, the provider accepts before the lock: nothing expires."""
    from gigsta.management.commands import run_timers

    age(booking, hours=49)
    real_due = run_timers.due

    def due_then_accept(now):
        candidates = real_due(now)
        booking_transition(booking=booking, action="accept", actor=provider)
        return candidates

    monkeypatch.setattr(run_timers, "due", due_then_accept)
    call_command("run_timers")
    booking.refresh_from_db()
    assert booking.state == "accepted"  # the payment window has just begun


def test_fresh_bookings_are_untouched(client_user, service):
    other = make_user("o@example.com", "O")
    fresh = booking_request(client=other, service=service, starts_at=at(12), venue="Hall")
    call_command("run_timers")
    fresh.refresh_from_db()
    assert fresh.state == "requested" and fresh.events.count() == 1
