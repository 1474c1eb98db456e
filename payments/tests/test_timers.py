"""run_timers and deposit bookings: the balance reminder, and the expiry of a deposit whose
balance was never paid. Time travels by moving the booking, not the clock."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import dateformat, timezone

from bookings.models import Booking, BookingEvent
from bookings.services import booking_transition
from bookings.state_machine import balance_due_at
from bookings.tests.factories import make_booking
from catalog.models import BusyDay
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from payments.models import PaymentEvent
from payments.selectors import booking_money

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("manual_terms")]

PRICE = 100_000
DEPOSIT = 30_000
GIG = dt.timedelta(hours=3)


@pytest.fixture
def deposit_booking(client_user, provider) -> Booking:
    """Accepted, 30 % deposit marked paid; the balance is due 14 days before the gig."""
    service = make_service(provider, price_minor=PRICE, deposit_percent=30, balance_due_days=14)
    booking = make_booking(client=client_user, service=service, to_state="deposit_paid")
    assert booking.state == "deposit_paid"
    return booking


def move(booking: Booking, *, starts_in: dt.timedelta, last_change_ago: dt.timedelta) -> Booking:
    """Put the gig `starts_in` from now (negative: in the past) and its last transition `last_change_ago`."""
    now = timezone.now()
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=now + starts_in, ends_at=now + starts_in + GIG, updated_at=now - last_change_ago
    )
    booking.refresh_from_db()
    return booking


def run_timers(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_timers")
    tasks_run()  # the worker, beside the scheduler


def events(booking: Booking, action: str) -> list[BookingEvent]:
    return list(BookingEvent.objects.filter(booking=booking, action=action))


def ledger(booking: Booking) -> list[tuple[str, int]]:
    return list(
        PaymentEvent.objects.filter(payment__booking=booking)
        .order_by("created_at", "pk")
        .values_list("kind", "amount_minor")
    )


def mail_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


# --- The balance reminder ---------------------------------------------------------------------


def test_the_balance_reminder_fires_once(deposit_booking, client_user, django_capture_on_commit_callbacks):
    # The balance falls due tomorrow; the reminder window opened two days ago; the deposit came earlier.
    booking = move(deposit_booking, starts_in=dt.timedelta(days=15), last_change_ago=dt.timedelta(days=10))
    mail.outbox.clear()

    run_timers(django_capture_on_commit_callbacks)

    booking.refresh_from_db()
    assert booking.state == "deposit_paid"
    [reminder] = events(booking, "remind_balance")
    assert (reminder.actor, reminder.source) == (None, "system")
    assert (reminder.from_state, reminder.to_state) == ("deposit_paid", "deposit_paid")
    [email] = mail_to(client_user)
    due_by = dateformat.format(timezone.localtime(balance_due_at(booking)), "l j F Y")
    assert f"The balance is due by {due_by}" in email.body
    assert ledger(booking) == [("captured", DEPOSIT)]  # a reminder moves no money

    sent = len(mail.outbox)
    run_timers(django_capture_on_commit_callbacks)
    assert len(events(booking, "remind_balance")) == 1
    assert len(mail.outbox) == sent
    booking.refresh_from_db()
    assert booking.state == "deposit_paid"


def test_no_reminder_before_the_window(deposit_booking, django_capture_on_commit_callbacks):
    # Balance due in 4 days: the reminder (3 days ahead) is not due yet.
    booking = move(deposit_booking, starts_in=dt.timedelta(days=18), last_change_ago=dt.timedelta(days=10))
    mail.outbox.clear()
    run_timers(django_capture_on_commit_callbacks)
    assert events(booking, "remind_balance") == []
    assert mail.outbox == []


def test_no_reminder_when_the_deposit_came_inside_the_window(deposit_booking, django_capture_on_commit_callbacks):
    """The deposit was marked paid after the reminder window opened: its confirmation was the reminder."""
    booking = move(deposit_booking, starts_in=dt.timedelta(days=15), last_change_ago=dt.timedelta(hours=1))
    run_timers(django_capture_on_commit_callbacks)
    assert events(booking, "remind_balance") == []


def test_no_reminder_once_the_balance_is_paid(deposit_booking, provider, django_capture_on_commit_callbacks):
    booking, _ = booking_transition(booking=deposit_booking, action="mark_paid", actor=provider)
    booking = move(booking, starts_in=dt.timedelta(days=15), last_change_ago=dt.timedelta(days=10))
    run_timers(django_capture_on_commit_callbacks)
    booking.refresh_from_db()
    assert booking.state == "confirmed"
    assert events(booking, "remind_balance") == []


# --- Expiry of an unpaid balance ----------------------------------------------------------------


def test_a_deposit_whose_gig_ended_long_ago_expires_and_the_deposit_is_kept(
    settings, deposit_booking, client_user, provider, django_capture_on_commit_callbacks
):
    ended = dt.timedelta(days=settings.BOOKING_AUTO_COMPLETE_DAYS, hours=1)
    # Reminded in its window (the last change is after the reminder opened), balance never paid.
    booking = move(deposit_booking, starts_in=-(ended + GIG), last_change_ago=dt.timedelta(days=12))
    assert booking.updated_at > balance_due_at(booking) - dt.timedelta(days=3)
    mail.outbox.clear()

    run_timers(django_capture_on_commit_callbacks)

    booking.refresh_from_db()
    assert booking.state == "expired"
    [expiry] = events(booking, "expire")
    assert (expiry.from_state, expiry.actor, expiry.source) == ("deposit_paid", None, "system")
    assert ledger(booking) == [("captured", DEPOSIT)]  # no refund row: the deposit is kept
    money = booking_money(booking)
    assert (money.paid, money.refunds, money.kept, money.fee, money.payout) == (DEPOSIT, 0, DEPOSIT, 3_000, 27_000)
    assert not BusyDay.objects.filter(kind=BusyDay.Kind.BOOKING, source_id=booking.public_id).exists()
    assert mail_to(client_user) and mail_to(provider)

    run_timers(django_capture_on_commit_callbacks)
    assert len(events(booking, "expire")) == 1


def test_a_deposit_is_not_expired_before_the_completion_delay(
    settings, deposit_booking, django_capture_on_commit_callbacks
):
    ended = dt.timedelta(days=settings.BOOKING_AUTO_COMPLETE_DAYS) - dt.timedelta(hours=2)
    booking = move(deposit_booking, starts_in=-(ended + GIG), last_change_ago=dt.timedelta(days=12))
    run_timers(django_capture_on_commit_callbacks)
    booking.refresh_from_db()
    assert booking.state == "deposit_paid"
    assert events(booking, "expire") == []


def test_no_balance_due_soon_reminder_for_a_gig_that_is_over(
    settings, deposit_booking, django_capture_on_commit_callbacks
):
    """A deposit never reminded (e.g. paid before the reminders were switched on) whose gig ended
    long ago: it expires; telling the client "the balance is due soon" first would be wrong."""
    ended = dt.timedelta(days=settings.BOOKING_AUTO_COMPLETE_DAYS, hours=1)
    booking = move(deposit_booking, starts_in=-(ended + GIG), last_change_ago=dt.timedelta(days=40))
    mail.outbox.clear()

    run_timers(django_capture_on_commit_callbacks)

    booking.refresh_from_db()
    assert booking.state == "expired"
    assert events(booking, "remind_balance") == []
    assert not any("balance is due" in m.body for m in mail.outbox)
