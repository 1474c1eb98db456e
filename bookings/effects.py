"""What a booking action causes besides its state change, read from one declared table.

The table is `EFFECTS` in gigsta/effects.py (named by settings.BOOKING_EFFECTS, as
ROOT_URLCONF names the URLs): the project package composes the apps, so bookings, which
payments builds on, never imports payments. `booking_transition` runs an action's
`in_transaction` effects inside its transaction and queues its `tasks` in it too (an outbox:
the worker runs them once the change is committed, retried); `refund` says how much of what
was paid goes back to the client.
The table is checked at start-up (`check_effects`): every key is an action of the state table.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string
from django_tasks.base import Task

from bookings.state_machine import ACTIONS_BY_NAME, REQUEST, BookingLike
from bookings.terms import RefundFn, RefundRule

Effect = Callable  # (booking, event) -> None


@dataclass(frozen=True)
class Effects:
    in_transaction: tuple[Effect, ...] = ()  # write alongside the change; roll back with it
    tasks: tuple[Task, ...] = ()  # reach the outside world: task(booking_id, event_id), queued with the change
    refund: RefundFn | None = None  # the share of what was paid that goes back to the client


NONE = Effects()


def effects_table() -> dict[str, Effects]:
    return import_string(settings.BOOKING_EFFECTS)


def effects_of(action: str) -> Effects:
    return effects_table().get(action, NONE)


def message_effects() -> Effects:
    """What a new message in a booking's thread causes (settings.BOOKING_MESSAGE_EFFECTS): its
    effects and tasks take (booking, message) as an action's take (booking, event)."""
    return import_string(settings.BOOKING_MESSAGE_EFFECTS)


def reminder_effects() -> Effects:
    """What a reminder causes (settings.BOOKING_REMINDER_EFFECTS), given (booking, reminder)."""
    return import_string(settings.BOOKING_REMINDER_EFFECTS)


def refund_rule(
    action: str,
    from_state: str,
    booking: BookingLike,
    by_client: bool,
    now: dt.datetime,
    asked_minor: int | None = None,
) -> RefundRule | None:
    """How much of what was paid goes back when `action` takes the booking out of `from_state`
    (`asked_minor`: the amount the action carried, for the rules that take one); None when the
    action moves no money."""
    rule = effects_of(action).refund
    if rule is None:
        return None
    return rule(booking, from_state=from_state, by_client=by_client, now=now, asked_minor=asked_minor)


@checks.register()
def check_effects(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Start-up: the effects table names only actions of the state table, callables and tasks;
    the message and reminder effects too are callables and tasks."""
    errors = []
    known = {*ACTIONS_BY_NAME, REQUEST.name}
    extra = [("message", message_effects()), ("reminder", reminder_effects())]
    for action, effects in [*effects_table().items(), *extra]:
        if action not in known and action not in ("message", "reminder"):
            errors.append(checks.Error(f"{settings.BOOKING_EFFECTS}: {action!r} is not an action.", id="bookings.E001"))
        for effect in effects.in_transaction:
            if not callable(effect):
                errors.append(checks.Error(f"{action}: {effect!r} is not callable.", id="bookings.E002"))
        for effect in effects.tasks:
            if not isinstance(effect, Task):
                errors.append(checks.Error(f"{action}: {effect!r} is not a task.", id="bookings.E003"))
    return errors
