"""offer_send, and the answers to an offer through booking_transition: accept (at the offer's
terms, the slot checked again at its length), decline, withdraw, and expiry by the timers."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import make_user
from bookings.models import Booking, BookingEvent, Offer
from bookings.services import SlotTaken, booking_request, booking_transition, offer_send
from bookings.state_machine import TransitionNotAllowed
from bookings.tests.factories import at, make_booking, send_offer
from catalog.models import BusyDay
from gigsta.tests.helpers import tasks_due, tasks_run

pytestmark = pytest.mark.django_db


def offer(booking, **terms):
    return offer_send(booking=booking, actor=booking.provider, **{"price_minor": 180000, **terms}).booking


def nothing_written(booking, *, events=1, state="requested"):
    """The booking is as it was: no offer, no event, nothing queued to send."""
    booking.refresh_from_db()
    return (
        booking.state == state
        and booking.events.count() == events
        and not Offer.objects.filter(booking=booking).exists()
        and not tasks_due().exists()
    )


class TestSend:
    def test_an_offer_waits_for_the_client_and_tells_them(self, booking, client_user):
        mail.outbox.clear()
        expires = at(3)
        booking = offer(booking, duration_minutes=240, deposit_percent=25, note="With our own PA.", expires_at=expires)
        sent = Offer.objects.get()
        assert booking.state == "offered" and booking.offer == sent
        assert (sent.price_minor, sent.currency) == (180000, "EUR")
        assert (sent.duration_minutes, sent.deposit_percent) == (240, 25)
        assert (sent.note, sent.expires_at) == ("With our own PA.", expires)
        assert (booking.price_minor, booking.ends_at - booking.starts_at) == (150000, dt.timedelta(hours=3))
        event = booking.events.last()
        assert (event.action, event.from_state, event.to_state) == ("offer", "requested", "offered")
        assert event.note == "Offer sent: €1,800 for 4 hours, 25 % deposit: With our own PA."
        tasks_run()
        assert [m.to for m in mail.outbox] == [[client_user.email]]
        assert "€1,800 for 4 hours" in mail.outbox[0].body and "The offer is open until" in mail.outbox[0].body

    def test_unsaid_terms_are_the_bookings_and_the_offer_is_open_for_72_hours(self, booking):
        before = timezone.now()
        booking = offer(booking)
        sent = booking.offer
        assert (sent.duration_minutes, sent.deposit_percent, sent.note) == (180, 0, "")
        assert before + dt.timedelta(hours=72) <= sent.expires_at <= timezone.now() + dt.timedelta(hours=72)

    def test_the_default_expiry_is_the_gig_when_that_comes_first(self, client_user, service):
        soon = timezone.now() + dt.timedelta(hours=30)
        booking = booking_request(client=client_user, service=service, starts_at=soon, venue="Hall")
        assert offer(booking).offer.expires_at == soon

    def test_a_revised_offer_replaces_the_one_on_the_table_and_both_stay(self, booking):
        first = offer(booking).offer
        booking = offer(booking, price_minor=170000, note="Let's meet halfway.")
        second = booking.offer
        assert booking.state == "offered" and second != first
        assert list(booking.offers.values_list("price_minor", flat=True)) == [180000, 170000]
        event = booking.events.last()
        assert (event.action, event.from_state, event.to_state) == ("offer", "offered", "offered")
        assert event.note == "Offer revised: €1,700 for 3 hours: Let's meet halfway."
        assert [e.action for e in booking.events.all()] == ["request", "offer", "offer"]

    def test_offers_are_immutable(self, booking):
        sent = offer(booking).offer
        sent.price_minor = 1
        with pytest.raises(ValueError, match="immutable"):
            sent.save()


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"price_minor": 0}, "price_minor"),
        ({"price_minor": -5000}, "price_minor"),
        ({"price_minor": 99}, "price_minor"),
        ({"price_minor": 100_000_001}, "price_minor"),
        ({"duration_minutes": 10}, "duration_minutes"),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
        ({"deposit_percent": 91}, "deposit_percent"),
        ({"deposit_percent": -1}, "deposit_percent"),
        ({"note": "x" * 1001}, "note"),
        ({"expires_at": timezone.now() - dt.timedelta(minutes=1)}, "expires_at"),
        ({"expires_at": at(31)}, "expires_at"),  # the gig is in 30 days
        ({"expires_at": dt.datetime(2030, 1, 1, 12)}, "expires_at"),  # no time zone
    ],
)
def test_bad_terms_name_their_field_and_write_or_send_nothing(booking, terms, field):
    with pytest.raises(ValidationError) as exc:
        offer(booking, **terms)
    assert set(exc.value.message_dict) == {field}
    assert nothing_written(booking)


def test_an_expiry_after_the_gig_says_so(booking):
    with pytest.raises(ValidationError) as exc:
        offer(booking, expires_at=booking.starts_at + dt.timedelta(minutes=1))
    assert exc.value.message_dict == {"expires_at": ["The offer must expire by the time the gig starts."]}


@pytest.mark.parametrize("state", ["accepted", "declined", "cancelled", "confirmed"])
def test_no_offer_unless_requested_or_offered(client_user, service, state):
    booking = make_booking(client=client_user, service=service, to_state=state)
    events = booking.events.count()
    with pytest.raises(TransitionNotAllowed) as exc:
        offer(booking)
    assert exc.value.status == 409 and exc.value.code == "wrong_state"
    assert nothing_written(booking, events=events, state=state)


def test_only_the_provider_offers(booking, client_user, stranger, staff_user):
    for user in (client_user, stranger, staff_user):
        with pytest.raises(PermissionDenied):
            offer_send(booking=booking, actor=user, price_minor=180000)
    assert nothing_written(booking)


def test_an_offer_is_not_an_action_without_its_terms(booking, provider):
    with pytest.raises(TransitionNotAllowed) as exc:
        booking_transition(booking=booking, action="offer", actor=provider)
    assert exc.value.code == "not_a_transition" and "/offer" in str(exc.value)
    assert nothing_written(booking)


class TestAnswers:
    def test_accepting_takes_the_offers_price_length_and_deposit(self, booking, client_user, provider):
        booking = offer(booking, price_minor=240000, duration_minutes=360, deposit_percent=30)
        tasks_run()
        mail.outbox.clear()
        booking, event = booking_transition(booking=booking, action="accept_offer", actor=client_user)
        booking.refresh_from_db()
        assert booking.state == "accepted"
        assert (booking.price_minor, booking.deposit_percent) == (240000, 30)
        assert booking.ends_at - booking.starts_at == dt.timedelta(hours=6)
        assert booking.offer.price_minor == 240000  # the offer it was accepted at
        assert (event.action, event.from_state, event.to_state) == ("accept_offer", "offered", "accepted")
        assert BusyDay.objects.filter(provider=provider, kind="booking", source_id=booking.public_id).exists()
        tasks_run()
        assert [m.to for m in mail.outbox] == [[provider.email]]

    def test_accepting_checks_the_slot_again_at_the_offered_length(self, booking, client_user, service):
        booking = offer(booking, duration_minutes=360)  # 20:00 to 02:00
        other = make_user("olga@example.com", "Olga Other")
        later = booking_request(
            client=other, service=service, starts_at=booking.starts_at + dt.timedelta(hours=4), venue="Pier 3"
        )  # 00:00 to 03:00: free beside the 3 hours asked, not beside the 6 offered
        booking_transition(booking=later, action="accept", actor=service.provider)
        events = booking.events.count()
        with pytest.raises(SlotTaken):
            booking_transition(booking=booking, action="accept_offer", actor=client_user)
        booking.refresh_from_db()
        assert booking.state == "offered" and booking.price_minor == 150000
        assert booking.ends_at - booking.starts_at == dt.timedelta(hours=3)
        assert booking.events.count() == events

    def test_declining_leaves_the_request_as_it_was_asked(self, booking, client_user, provider):
        booking = offer(booking)
        booking, event = booking_transition(booking=booking, action="decline_offer", actor=client_user)
        booking.refresh_from_db()
        assert booking.state == "requested" and booking.offer is None and booking.price_minor == 150000
        assert Offer.objects.filter(booking=booking).count() == 1  # the history keeps it
        assert event.note == "Offer declined: the request stands as it was"
        booking = booking_transition(booking=booking, action="accept", actor=provider).booking
        assert booking.state == "accepted" and booking.price_minor == 150000

    def test_the_provider_may_offer_again_after_a_decline(self, booking, client_user):
        booking = offer(booking)
        booking = booking_transition(booking=booking, action="decline_offer", actor=client_user).booking
        booking = offer(booking, price_minor=160000)
        assert booking.state == "offered" and booking.offer.price_minor == 160000

    def test_the_client_may_withdraw_and_the_provider_decline_while_offered(self, client_user, provider, service):
        first = send_offer(make_booking(client=client_user, service=service))
        assert booking_transition(booking=first, action="withdraw", actor=client_user).booking.state == "cancelled"
        second = send_offer(make_booking(client=client_user, service=service, starts_at=at(40)))
        assert booking_transition(booking=second, action="decline", actor=provider).booking.state == "declined"
        second.refresh_from_db()
        assert second.offer is None

    def test_an_expired_offer_cannot_be_accepted_even_before_the_timers_run(self, booking, client_user):
        booking = offer(booking, expires_at=timezone.now() + dt.timedelta(hours=1))
        later = timezone.now() + dt.timedelta(hours=2)
        with pytest.raises(TransitionNotAllowed, match="expired"):
            booking_transition(booking=booking, action="accept_offer", actor=client_user, now=later)


class TestExpiry:
    def test_the_timers_expire_an_offer_once_its_time_is_up(self, booking, client_user, provider):
        booking = offer(booking, expires_at=timezone.now() + dt.timedelta(hours=1))
        tasks_run()
        mail.outbox.clear()
        call_command("run_timers")
        booking.refresh_from_db()
        assert booking.state == "offered"
        Offer.objects.filter(pk=booking.offer_id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        call_command("run_timers")
        booking.refresh_from_db()
        assert booking.state == "expired" and booking.offer is None
        event = booking.events.last()
        assert (event.action, event.from_state, event.actor, event.source) == ("expire", "offered", None, "system")
        tasks_run()
        assert sorted(m.to[0] for m in mail.outbox) == sorted([client_user.email, provider.email])

    def test_an_offer_open_for_days_outlives_the_request_window(self, booking):
        booking = offer(booking, expires_at=timezone.now() + dt.timedelta(days=5))
        Booking.objects.filter(pk=booking.pk).update(updated_at=timezone.now() - dt.timedelta(days=4))
        call_command("run_timers")
        booking.refresh_from_db()
        assert booking.state == "offered"

    def test_an_offer_expiring_with_the_gig_expires_when_the_gig_begins(self, client_user, service):
        starts = timezone.now() + dt.timedelta(hours=2)
        booking = booking_request(client=client_user, service=service, starts_at=starts, venue="Hall")
        booking = offer(booking)
        assert booking.offer.expires_at == starts
        Booking.objects.filter(pk=booking.pk).update(
            starts_at=timezone.now() - dt.timedelta(minutes=1), ends_at=timezone.now() + dt.timedelta(hours=2)
        )
        call_command("run_timers")
        booking.refresh_from_db()
        assert booking.state == "expired"
        assert BookingEvent.objects.filter(booking=booking, action="expire").count() == 1
