"""When reminders fall due: to the party who must act, REMIND_BEFORE_DEADLINE before their
deadline (the state machine's `waiting_of`, the timers' own); to both parties,
REMIND_BEFORE_GIG before a gig whose date is held. `run_timers` sends what is due
(bookings.services.reminder_send), each once: a Reminder row per booking, kind and moment."""

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q

from bookings.models import Booking, Reminder
from bookings.state_machine import HOLDING_STATES, Context, State, waiting_of

REMIND_BEFORE_DEADLINE = dt.timedelta(hours=12)
REMIND_BEFORE_GIG = dt.timedelta(hours=48)


def reminder_at(booking: Booking, kind: str, ctx: Context) -> dt.datetime | None:
    """The moment a reminder of `kind` reminds of, if it is due now; else None. A deadline that
    began less than REMIND_BEFORE_DEADLINE before it ends needs no reminder: the change that
    started the clock said when it runs out."""
    if kind == Reminder.Kind.GIG:
        due = booking.state in HOLDING_STATES and booking.starts_at - REMIND_BEFORE_GIG <= ctx.now < booking.starts_at
        return booking.starts_at if due else None
    waiting = waiting_of(booking, ctx)
    if waiting is None:
        return None
    remind_from = waiting.at - REMIND_BEFORE_DEADLINE
    return waiting.at if remind_from <= ctx.now < waiting.at and booking.updated_at < remind_from else None


def reminders_due(ctx: Context) -> list[tuple[Booking, str, dt.datetime]]:
    """(booking, kind, moment) for every reminder due now and not sent yet. Candidates only:
    reminder_send checks again under the booking's row lock."""
    now, lead = ctx.now, REMIND_BEFORE_DEADLINE
    waiting = (
        Booking.objects.filter(
            Q(state=State.REQUESTED, updated_at__lte=now + lead - ctx.answer_within)
            | Q(state=State.ACCEPTED, updated_at__lte=now + lead - ctx.pay_within)
            | Q(state=State.OFFERED, offer__expires_at__lte=now + lead)
            | Q(state__in=[State.REQUESTED, State.OFFERED, State.ACCEPTED], starts_at__lte=now + lead),
            starts_at__gt=now,
        )
        .select_related("offer")
        .prefetch_related(Prefetch("reminders", queryset=Reminder.objects.filter(kind=Reminder.Kind.DEADLINE)))
    )
    found = []
    for booking in waiting.order_by("pk"):
        at = reminder_at(booking, Reminder.Kind.DEADLINE, ctx)
        if at is not None and all(r.at != at for r in booking.reminders.all()):
            found.append((booking, Reminder.Kind.DEADLINE, at))
    sent = Reminder.objects.filter(booking=OuterRef("pk"), kind=Reminder.Kind.GIG, at=OuterRef("starts_at"))
    gigs = Booking.objects.filter(
        state__in=HOLDING_STATES, starts_at__gt=now, starts_at__lte=now + REMIND_BEFORE_GIG
    ).exclude(Exists(sent))
    found += [(booking, Reminder.Kind.GIG, booking.starts_at) for booking in gigs.order_by("pk")]
    return found
