"""Small builders for booking tests; they go through the real services."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from bookings.services import booking_request, booking_transition
from bookings.state_machine import State
from catalog.models import Service

VENUE = "Villa Rosa, Potsdam"
HOUR = dt.timedelta(hours=1)


def at(days: int, hour: int = 20) -> dt.datetime:
    """A time `days` from now at `hour`:00 local time."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@dataclass(frozen=True)
class Step:
    action: str
    actor: str  # "client", "provider" or "system"
    now: Callable[[Booking], dt.datetime] | None = None  # the time the guard needs; None: the real time


ACCEPT = Step("accept", "provider")
MARK_PAID = Step("mark_paid", "provider")  # manual bookings: the provider says the money arrived

# The transitions that take a new request to each state. Card bookings are paid through
# Checkout and Stripe's signed webhooks: their tests drive that flow themselves.
PATHS: dict[State, tuple[Step, ...]] = {
    State.REQUESTED: (),
    State.ACCEPTED: (ACCEPT,),
    State.DECLINED: (Step("decline", "provider"),),
    State.CANCELLED: (Step("withdraw", "client"),),
    State.EXPIRED: (Step("expire", "system", lambda booking: booking.starts_at),),
    State.DEPOSIT_PAID: (ACCEPT, Step("mark_deposit_paid", "provider")),
    State.CONFIRMED: (ACCEPT, MARK_PAID),
    State.COMPLETED: (ACCEPT, MARK_PAID, Step("complete", "provider", lambda booking: booking.starts_at + HOUR)),
    State.DISPUTED: (ACCEPT, MARK_PAID, Step("dispute", "client", lambda booking: booking.ends_at + HOUR)),
}


def make_booking(
    *, client: User, service: Service, to_state: str = State.REQUESTED, starts_at: dt.datetime | None = None, **kwargs
) -> Booking:
    """A booking of `service` requested by `client` (at `starts_at`, default in 30 days) and taken
    to `to_state` through booking_transition, each action by the party the state machine wants.
    Other keyword arguments go to booking_request (venue, duration_minutes, message)."""
    try:
        path = PATHS[State(to_state)]
    except KeyError:
        raise ValueError(f"make_booking does not reach {to_state!r}: take the last action in the test") from None
    kwargs.setdefault("venue", VENUE)
    booking = booking_request(client=client, service=service, starts_at=starts_at or at(30), **kwargs)
    actors = {"client": client, "provider": service.provider, "system": None}
    for step in path:
        now = step.now(booking) if step.now else None
        booking = booking_transition(booking=booking, action=step.action, actor=actors[step.actor], now=now).booking
    return booking
