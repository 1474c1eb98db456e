"""bookings.selectors.booking_card: the one read model of the booking page, its htmx card and
its ETag; and the deadline it shows, which must agree with the timers' guards."""

import datetime as dt

import pytest
from django.template.loader import get_template
from django.utils import timezone

from bookings.selectors import booking_card, booking_get_for_user
from bookings.services import booking_context, booking_transition
from bookings.state_machine import ACTIONS_BY_NAME, FINAL_STATES, Context, State, deadline_of
from bookings.tests.factories import at, make_booking, send_offer

pytestmark = pytest.mark.django_db


def card_for(booking, user, now=None):
    return booking_card(booking=booking, user=user, now=now or timezone.now())


def test_each_party_gets_its_role_and_its_actions(booking, client_user, provider, staff_user):
    assert card_for(booking, provider).role == "provider"
    assert [a.name for a in card_for(booking, provider).actions] == ["accept", "decline", "offer", "reschedule"]
    assert [a.name for a in card_for(booking, provider).buttons] == ["accept", "decline"]
    assert card_for(booking, provider).may_offer and not card_for(booking, client_user).may_offer
    assert card_for(booking, provider).may_reschedule and card_for(booking, client_user).may_reschedule
    assert card_for(booking, client_user).role == "client"
    assert [a.name for a in card_for(booking, client_user).actions] == ["withdraw", "reschedule"]
    assert card_for(booking, staff_user).role == "staff"
    assert card_for(booking, staff_user).actions == []


def test_building_a_card_reads_the_ledger_once_and_the_rest_only_when_shown(
    booking, provider, django_assert_num_queries
):
    booking = booking_get_for_user(user=provider, public_id=booking.public_id)  # as the views read it
    with django_assert_num_queries(2):  # the ledger and the thread's count and newest id: enough for the ETag
        card = card_for(booking, provider)
        assert card.version
    with django_assert_num_queries(1):
        assert [e.action for e in card.timeline] == ["request"]
    with django_assert_num_queries(0):  # not completed: no reviews to read
        assert card.reviews == [] and card.may_review is False


@pytest.mark.parametrize("state", list(State))
def test_every_state_has_its_words(state):
    assert get_template(f"bookings/status/{state}.html")


def test_a_closed_booking_stops_polling(booking, provider):
    assert card_for(booking, provider).polls
    booking, _ = booking_transition(booking=booking, action="decline", actor=provider)
    card = card_for(booking, provider)
    assert card.is_final and not card.polls
    assert card.status_template == "bookings/status/declined.html"


def test_the_version_changes_with_the_booking_and_with_the_reader(booking, client_user, provider):
    before = card_for(booking, provider).version
    assert card_for(booking, provider).version == before
    assert card_for(booking, client_user).version != before
    booking, _ = booking_transition(booking=booking, action="accept", actor=provider)
    assert card_for(booking, provider).version != before


def test_the_parties_may_review_once_after_the_gig(booking, client_user, provider, staff_user):
    booking, _ = booking_transition(booking=booking, action="accept", actor=provider)
    booking, _ = booking_transition(booking=booking, action="mark_paid", actor=provider)
    assert not card_for(booking, client_user).may_review
    after = booking.starts_at + dt.timedelta(hours=1)
    booking, _ = booking_transition(booking=booking, action="complete", actor=provider, now=after)
    assert card_for(booking, client_user).may_review and card_for(booking, provider).may_review
    assert not card_for(booking, staff_user).may_review


@pytest.mark.parametrize(
    ("state", "timer"),
    [
        (State.REQUESTED, "expire"),
        (State.OFFERED, "expire"),
        (State.ACCEPTED, "expire"),
        (State.DEPOSIT_PAID, "expire"),
        (State.CONFIRMED, "auto_complete"),
    ],
)
def test_the_deadline_shown_is_the_moment_the_timer_may_act(state, timer):
    """What the page says and what the timer does cannot disagree: one second before the
    deadline the timer's guard refuses, at the deadline it lets the action through."""
    booking = _FakeBooking(state=state, starts_at=at(20), ends_at=at(20) + dt.timedelta(hours=3))
    ctx = Context(now=timezone.now())
    deadline = deadline_of(booking, ctx)
    assert deadline.action == timer
    guard = ACTIONS_BY_NAME[timer].guard
    assert guard(booking, Context(now=deadline.at - dt.timedelta(seconds=1))) is not None
    assert guard(booking, Context(now=deadline.at)) is None


def test_an_unanswered_request_expires_at_the_gig_if_that_comes_first():
    booking = _FakeBooking(state=State.REQUESTED, starts_at=at(1, hour=1), ends_at=at(1, hour=4))
    assert deadline_of(booking, Context(now=timezone.now())).at == booking.starts_at


@pytest.mark.parametrize("state", [*FINAL_STATES, State.COMPLETED, State.DISPUTED])
def test_no_timer_waits_on_a_closed_completed_or_disputed_booking(state):
    booking = _FakeBooking(state=state, starts_at=at(20), ends_at=at(21))
    assert deadline_of(booking, booking_context()) is None


class _FakeBooking:
    def __init__(self, *, state, starts_at, ends_at):
        self.state, self.starts_at, self.ends_at = state, starts_at, ends_at
        self.updated_at = timezone.now() - dt.timedelta(hours=1)
        self.client_id, self.provider_id = 1, 2
        self.payment_method, self.deposit_percent = "manual", 30
        self.balance_due_days, self.balance_cancel_days = 14, 7
        self.offer_expires_at = timezone.now() + dt.timedelta(hours=30)


def test_an_offer_deadline_is_the_clients_time_to_answer(booking):
    booking = send_offer(booking, expires_at=at(2))
    deadline = deadline_of(booking, booking_context())
    assert (deadline.at, deadline.action) == (at(2), "expire")


def test_the_card_weighs_the_offer_for_its_reader(booking, client_user, provider, settings):
    booking = send_offer(booking, price_minor=200000, duration_minutes=240, deposit_percent=30)
    card = card_for(booking_get_for_user(user=client_user, public_id=booking.public_id), client_user)
    assert card.offer.offer == booking.offer
    assert card.offer.ends_at == booking.starts_at + dt.timedelta(hours=4)
    assert card.offer.deposit_minor == 60000 and card.offer.deposit_percent == 30
    assert card.offer.fee_minor + card.offer.payout_minor == 200000
    assert [a.name for a in card.actions] == ["accept_offer", "decline_offer", "withdraw"]
    assert [a.name for a in card_for(booking, provider).buttons] == ["decline"]
    assert card_for(booking, provider).may_offer


def test_a_deposit_offered_once_the_balance_is_due_asks_the_whole_price(client_user, service):
    booking = make_booking(client=client_user, service=service, starts_at=at(5))  # balance due 14 days before
    booking = send_offer(booking, deposit_percent=30)
    card = card_for(booking, client_user)
    assert card.offer.deposit_minor == 0 and card.offer.deposit_percent == 0


def test_a_revised_offer_changes_the_card(booking, client_user):
    booking = send_offer(booking)
    before = card_for(booking, client_user).version
    booking = send_offer(booking, price_minor=160000)
    assert card_for(booking, client_user).version != before


def test_no_offer_is_shown_once_it_is_off_the_table(booking, client_user):
    booking = send_offer(booking)
    booking, _ = booking_transition(booking=booking, action="decline_offer", actor=client_user)
    assert card_for(booking, client_user).offer is None
