import datetime as dt

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from bookings.models import Booking
from bookings.reminders import reminders_due
from bookings.services import booking_context, booking_transition, reminder_send, reviews_publish_due
from bookings.state_machine import TIMER_ACTIONS, ActionName, State, TransitionNotAllowed, available_actions
from calendars.services import busy_imports_queue_due
from gigsta.idempotency import idempotent_answers_purge
from gigsta.tasks import tasks_requeue_stale
from payments.services.payouts import payouts_release


def due(now: dt.datetime) -> list[tuple[Booking, str]]:
    """Bookings a timer action may apply to now. A candidate only: booking_transition
    re-checks the state and the time under the row lock."""
    ctx = booking_context(now)
    expiring = Booking.objects.filter(
        Q(state=State.REQUESTED, updated_at__lte=now - ctx.answer_within)
        | Q(state=State.ACCEPTED, updated_at__lte=now - ctx.pay_within)
        | Q(state=State.OFFERED, offer__expires_at__lte=now)
        | Q(state__in=[State.REQUESTED, State.OFFERED, State.ACCEPTED], starts_at__lte=now)
    )
    completing = Booking.objects.filter(state=State.CONFIRMED, ends_at__lte=now - ctx.complete_after)
    found = [(b, ActionName.EXPIRE) for b in expiring.order_by("pk")]
    found += [(b, ActionName.AUTO_COMPLETE) for b in completing.order_by("pk")]
    # Deposits: the balance reminder and the expiry depend on each booking's own terms, so
    # the lifecycle's guards decide, over the deposits whose gig is at most 100 days away.
    deposits = Booking.objects.filter(state=State.DEPOSIT_PAID, starts_at__lte=now + dt.timedelta(days=100))
    for booking in deposits.order_by("pk"):
        found += [(booking, a.name) for a in available_actions(booking, None, ctx) if a.name in TIMER_ACTIONS]
    return found


class Command(BaseCommand):
    help = (
        "Apply the lifecycle's timers (expire requests, offers and unpaid bookings, auto_complete, balance "
        "reminders), send the reminders due (deadlines, gigs), release card payouts after the dispute window, "
        "publish blind reviews 14 days after completion, queue the fetches of providers' own calendars due "
        "(each at most every CALENDAR_IMPORT_EVERY_MINUTES) and queue again the tasks whose worker died. "
        "Idempotent; safe to run from several places."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        done = skipped = 0
        for booking, action in due(now):
            try:
                booking_transition(booking=booking, action=action, actor=None, source="system", now=now)
                done += 1
            except TransitionNotAllowed:
                skipped += 1  # changed meanwhile (answered, paid, or handled by another runner)
        reminded = sum(
            reminder_send(booking=booking, kind=kind, now=now) is not None
            for booking, kind, _ in reminders_due(booking_context(now))
        )
        payouts = payouts_release(now=now)
        published = reviews_publish_due(now=now)
        calendars = busy_imports_queue_due(now=now)
        requeued = tasks_requeue_stale(now)
        if now.minute == 0:  # once an hour: finished tasks older than 30 days leave the table
            call_command("prune_db_task_results", min_age_days=30, failed_min_age_days=30, verbosity=0)
        forgotten = idempotent_answers_purge(now)
        self.stdout.write(
            f"run_timers: {done} applied, {skipped} no longer due, {reminded} reminders sent, "
            f"{payouts} payouts released, "
            f"{published} blind reviews published, "
            f"{calendars} calendar imports queued, "
            f"{requeued} stale tasks queued again, "
            f"{forgotten} idempotent answers forgotten"
        )
