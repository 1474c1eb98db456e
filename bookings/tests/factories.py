"""Small builders for booking tests; they go through the real services."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from bookings.services import booking_request, booking_transition, offer_send
from bookings.state_machine import ActionName, Role, State
from catalog.models import Service
from gigsta.tests.helpers import tasks_run

VENUE = "Villa Rosa, Potsdam"
HOUR = dt.timedelta(hours=1)


def at(days: int, hour: int = 20) -> dt.datetime:
    """A time `days` from now at `hour`:00 local time."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@dataclass(frozen=True)
class Step:
    action: ActionName
    actor: Role  # the party that takes it: client, provider or system
    now: Callable[[Booking], dt.datetime] | None = None  # the time the guard needs; None: the real time


def _gig_starts(booking: Booking) -> dt.datetime:
    return booking.starts_at


def _gig_started(booking: Booking) -> dt.datetime:
    return booking.starts_at + HOUR


def _gig_ended(booking: Booking) -> dt.datetime:
    return booking.ends_at + HOUR


ACCEPT = Step(ActionName.ACCEPT, Role.PROVIDER)
MARK_PAID = Step(ActionName.MARK_PAID, Role.PROVIDER)  # manual bookings: the provider says the money arrived

# The transitions that take a new request to each state. Card bookings are paid through
# Checkout and Stripe's signed webhooks: their tests drive that flow themselves.
PATHS: dict[State, tuple[Step, ...]] = {
    State.REQUESTED: (),
    State.OFFERED: (Step(ActionName.OFFER, Role.PROVIDER),),
    State.ACCEPTED: (ACCEPT,),
    State.DECLINED: (Step(ActionName.DECLINE, Role.PROVIDER),),
    State.CANCELLED: (Step(ActionName.WITHDRAW, Role.CLIENT),),
    State.EXPIRED: (Step(ActionName.EXPIRE, Role.SYSTEM, _gig_starts),),
    State.DEPOSIT_PAID: (ACCEPT, Step(ActionName.MARK_DEPOSIT_PAID, Role.PROVIDER)),
    State.CONFIRMED: (ACCEPT, MARK_PAID),
    State.COMPLETED: (ACCEPT, MARK_PAID, Step(ActionName.COMPLETE, Role.PROVIDER, _gig_started)),
    State.DISPUTED: (ACCEPT, MARK_PAID, Step(ActionName.DISPUTE, Role.CLIENT, _gig_ended)),
}


def make_booking(
    *, client: User, service: Service, to_state: str = State.REQUESTED, starts_at: dt.datetime | None = None, **kwargs
) -> Booking:
    """A booking of `service` requested by `client` (at `starts_at`, default in 30 days) and taken
    to `to_state` through booking_transition, each action by the party the state machine wants;
    the worker then runs what the changes queued, so a test starts from a quiet queue. Other
    keyword arguments go to booking_request (venue, duration_minutes, message)."""
    try:
        path = PATHS[State(to_state)]
    except KeyError:
        raise ValueError(f"make_booking does not reach {to_state!r}: take the last action in the test") from None
    kwargs.setdefault("venue", VENUE)
    booking = booking_request(client=client, service=service, starts_at=starts_at or at(30), **kwargs)
    actors = {Role.CLIENT: client, Role.PROVIDER: service.provider, Role.SYSTEM: None}
    for step in path:
        now = step.now(booking) if step.now else None
        if step.action == ActionName.OFFER:
            booking = send_offer(booking, now=now)
        else:
            booking = booking_transition(booking=booking, action=step.action, actor=actors[step.actor], now=now).booking
    tasks_run()
    return booking


# What send_offer asks on top of the requested price unless told otherwise.
OFFER_MORE = 20000


def send_offer(booking: Booking, **terms) -> Booking:
    """The provider answers with an offer through offer_send: by default 200.00 more than asked,
    for the length asked, open for the default time."""
    terms = {"price_minor": booking.price_minor + OFFER_MORE, **terms}
    return offer_send(booking=booking, actor=booking.provider, **terms).booking
