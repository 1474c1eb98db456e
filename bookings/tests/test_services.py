"""booking_request and booking_transition: one event per transition, nothing written on failure."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.tests.factories import make_user
from bookings.effects import Effects, effects_table
from bookings.models import Booking, BookingEvent
from bookings.services import SlotTaken, booking_request, booking_transition
from bookings.state_machine import TransitionNotAllowed, UnknownAction
from bookings.tests.factories import at, make_booking
from catalog.models import BusyDay
from catalog.services import busy_day_block
from gigsta.tests.helpers import tasks_due, tasks_run

pytestmark = pytest.mark.django_db


def test_request_writes_the_booking_and_its_first_event(booking, client_user, service):
    assert booking.state == "requested"
    assert booking.provider_id == service.provider_id
    assert booking.price_minor == service.price_minor and booking.currency == "EUR"
    assert booking.ends_at - booking.starts_at == dt.timedelta(minutes=180)
    event = booking.events.get()
    assert (event.action, event.from_state, event.to_state, event.actor) == ("request", "", "requested", client_user)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"starts_at": at(-1)}, "starts_at"),
        ({"venue": "  "}, "venue"),
        ({"venue": "x" * 300}, "venue"),
        ({"message": "x" * 100_000}, "message"),
        ({"duration_minutes": 5}, "duration_minutes"),
    ],
)
def test_bad_requests_write_nothing(client_user, service, kwargs, field):
    data = {"starts_at": at(30), "venue": "Villa Rosa", **kwargs}
    with pytest.raises(ValidationError) as exc:
        booking_request(client=client_user, service=service, **data)
    assert field in exc.value.message_dict
    assert not Booking.objects.exists() and not BookingEvent.objects.exists()


def test_provider_cannot_book_own_service(provider, service):
    with pytest.raises(PermissionDenied):
        booking_request(client=provider, service=service, starts_at=at(30), venue="Home")
    assert not Booking.objects.exists()


def test_request_on_a_blocked_day_is_refused(client_user, service, provider):
    busy_day_block(provider=provider, start=at(30).date())
    with pytest.raises(SlotTaken):
        booking_request(client=client_user, service=service, starts_at=at(30), venue="Villa")
    assert not Booking.objects.exists()


def test_each_transition_writes_one_event(booking, provider, client_user):
    booking_transition(booking=booking, action="accept", actor=provider)
    booking_transition(booking=booking, action="mark_paid", actor=provider, note="Bank transfer received")
    booking.refresh_from_db()
    assert booking.state == "confirmed"
    assert [(e.action, e.from_state, e.to_state) for e in booking.events.all()] == [
        ("request", "", "requested"),
        ("accept", "requested", "accepted"),
        ("mark_paid", "accepted", "confirmed"),
    ]
    assert booking.events.last().note == "Payment received (bank transfer or cash): Bank transfer received"


def test_refused_actions_write_nothing_and_run_no_side_effects(booking, client_user, stranger, monkeypatch):
    ran = []
    monkeypatch.setitem(effects_table(), "accept", Effects(in_transaction=(lambda b, e: ran.append(e),)))
    queued = tasks_due().count()
    for actor, action, error in [
        (client_user, "accept", TransitionNotAllowed),  # clients cannot accept
        (stranger, "accept", TransitionNotAllowed),
        (client_user, "complete", TransitionNotAllowed),  # wrong state too
        (client_user, "teleport", UnknownAction),
    ]:
        with pytest.raises(error):
            booking_transition(booking=booking, action=action, actor=actor)
    booking.refresh_from_db()
    assert booking.state == "requested" and booking.events.count() == 1
    assert ran == [] and tasks_due().count() == queued


def test_tasks_are_queued_with_the_change_and_run_after_it(booking, provider):
    """The effects' tasks are rows written in the transition's transaction (they exist exactly
    when the change does); the worker runs them with the booking as committed."""
    queued = {t.pk for t in tasks_due()}
    booking, event = booking_transition(booking=booking, action="accept", actor=provider)
    [task] = [t for t in tasks_due() if t.pk not in queued]
    assert task.task_path == "bookings.notifications.notify_parties"
    assert task.args_kwargs["args"] == [booking.pk, event.pk]
    tasks_run()
    assert [(m.to, "Request accepted" in m.body) for m in mail.outbox][-1] == ([booking.client.email], True)


def test_a_double_click_is_refused_and_writes_nothing(booking, provider):
    booking_transition(booking=booking, action="accept", actor=provider)
    with pytest.raises(TransitionNotAllowed):
        booking_transition(booking=booking, action="accept", actor=provider)
    booking.refresh_from_db()
    assert booking.state == "accepted"
    assert booking.events.filter(action="accept").count() == 1


def test_a_100_kb_note_is_refused(booking, provider):
    with pytest.raises(ValidationError):
        booking_transition(booking=booking, action="accept", actor=provider, note="x" * 100_000)
    assert booking.events.count() == 1


def test_accepting_an_overlapping_request_is_refused(client_user, provider, service, booking):
    other_client = make_user("olive@example.com", "Olive Other")
    rival = booking_request(
        client=other_client, service=service, starts_at=booking.starts_at + dt.timedelta(hours=1), venue="Hall"
    )
    booking_transition(booking=booking, action="accept", actor=provider)
    with pytest.raises(SlotTaken):
        booking_transition(booking=rival, action="accept", actor=provider)
    rival.refresh_from_db()
    assert rival.state == "requested" and rival.events.count() == 1


def test_new_requests_for_a_held_slot_are_refused(client_user, service):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    with pytest.raises(SlotTaken):
        booking_request(client=client_user, service=service, starts_at=booking.starts_at, venue="Again")


def test_held_bookings_occupy_their_days_in_search(booking, provider, client_user):
    booking_transition(booking=booking, action="accept", actor=provider)
    days = BusyDay.objects.filter(kind="booking", source_id=booking.public_id)
    assert list(days.values_list("date", flat=True)) == [timezone.localtime(booking.starts_at).date()]
    booking_transition(booking=booking, action="withdraw", actor=client_user)
    assert not BusyDay.objects.filter(source_id=booking.public_id).exists()


def test_staff_resolve_a_dispute(service, client_user, staff_user):
    booking = make_booking(client=client_user, service=service, to_state="disputed")
    booking_transition(
        booking=booking, action="resolve_refund", actor=staff_user, source="admin", note="The band never came."
    )
    booking.refresh_from_db()
    assert booking.state == "refunded"
    assert booking.events.last().source == "admin"


def test_system_actions_have_no_actor(booking):
    later = booking.updated_at + dt.timedelta(hours=49)  # past the answer window
    booking_transition(booking=booking, action="expire", actor=None, source="system", now=later)
    event = booking.events.last()
    assert event.actor is None and event.to_state == "expired"


def test_pay_is_not_a_state_change(service, client_user, settings):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    with pytest.raises(TransitionNotAllowed):
        booking_transition(booking=booking, action="pay", actor=client_user)
    assert booking.events.count() == 2


def test_events_are_immutable(booking):
    event = booking.events.get()
    event.note = "rewritten"
    with pytest.raises(ValueError):
        event.save()


def test_a_gig_past_midnight_occupies_both_days(client_user, service):
    late = make_booking(client=client_user, service=service, to_state="accepted", starts_at=at(40, hour=22))
    days = sorted(BusyDay.objects.filter(source_id=late.public_id).values_list("date", flat=True))
    assert days == [at(40).date(), at(41).date()]


def test_a_request_snapshots_the_price_for_the_length_asked(client_user, hourly):
    booking = booking_request(client=client_user, service=hourly, starts_at=at(20), venue="Hall", duration_minutes=360)
    assert (booking.price_minor, booking.currency) == (54000, "EUR")
    hourly.hourly_rate_minor = 20000
    hourly.save()
    booking.refresh_from_db()
    assert booking.price_minor == 54000  # the listing's later rate does not change the request


def test_a_fixed_price_stays_whatever_the_length(client_user, service):
    booking = booking_request(client=client_user, service=service, starts_at=at(20), venue="Hall", duration_minutes=600)
    assert booking.price_minor == service.price_minor == 150000


def test_a_request_shorter_than_an_hourly_services_minimum_is_refused(client_user, hourly):
    with pytest.raises(ValidationError) as exc:
        booking_request(client=client_user, service=hourly, starts_at=at(20), venue="Hall", duration_minutes=90)
    assert exc.value.message_dict == {
        "duration_minutes": ["This service is booked for at least 2 hours (120 minutes)."]
    }
    assert not Booking.objects.exists()
