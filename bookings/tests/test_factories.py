"""make_booking walks the real transitions, so a test that asks for a state gets a booking that
got there the way a real one does."""

import pytest

from bookings.state_machine import State, TransitionNotAllowed
from bookings.tests.factories import PATHS, make_booking
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def manual(settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""


@pytest.mark.usefixtures("manual")
@pytest.mark.parametrize("state", list(PATHS))
def test_make_booking_reaches_each_state_by_its_transitions(client_user, provider, state):
    service = make_service(provider, deposit_percent=30)

    booking = make_booking(client=client_user, service=service, to_state=state)

    booking.refresh_from_db()
    assert booking.state == state
    events = list(booking.events.order_by("created_at", "pk"))
    assert [e.action for e in events] == ["request", *(step.action for step in PATHS[state])]
    assert [e.to_state for e in events][-1] == state


def test_make_booking_refuses_a_state_it_does_not_reach(client_user, service):
    with pytest.raises(ValueError, match="refunded"):
        make_booking(client=client_user, service=service, to_state=State.REFUNDED)


def test_a_card_booking_is_not_marked_paid_by_hand(card_terms, client_user, service):
    with pytest.raises(TransitionNotAllowed, match="paid by card"):
        make_booking(client=client_user, service=service, to_state="confirmed")
