import datetime as dt

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_context, booking_transition
from bookings.state_machine import State, TransitionNotAllowed


def due(now: dt.datetime) -> list[tuple[Booking, str]]:
    """Bookings a timer action may apply to now. A candidate only: booking_transition
    re-checks the state and the time under the row lock."""
    ctx = booking_context(now)
    expiring = Booking.objects.filter(
        Q(state=State.REQUESTED, updated_at__lte=now - ctx.answer_within)
        | Q(state=State.ACCEPTED, updated_at__lte=now - ctx.pay_within)
        | Q(state__in=[State.REQUESTED, State.ACCEPTED], starts_at__lte=now)
    )
    completing = Booking.objects.filter(state=State.CONFIRMED, ends_at__lte=now - ctx.complete_after)
    return [(b, "expire") for b in expiring.order_by("pk")] + [(b, "auto_complete") for b in completing.order_by("pk")]


class Command(BaseCommand):
    help = "Apply the lifecycle's timers (expire, auto_complete). Idempotent; safe to run from several places."

    def handle(self, *args, **options):
        now = timezone.now()
        done = skipped = 0
        for booking, action in due(now):
            try:
                booking_transition(booking=booking, action=action, actor=None, source="system", now=now)
                done += 1
            except TransitionNotAllowed:
                skipped += 1  # changed meanwhile (answered, paid, or handled by another runner)
        self.stdout.write(f"run_timers: {done} applied, {skipped} no longer due")
