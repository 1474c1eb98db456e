import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gigsta.tasks import tasks_oldest_due


class Command(BaseCommand):
    help = (
        "Exit 1 when queued work has waited longer than --max-wait seconds: no worker is taking it. "
        "The compose worker's health check."
    )

    def add_arguments(self, parser):
        parser.add_argument("--max-wait", type=int, default=300)

    def handle(self, *args, max_wait: int, **options):
        oldest = tasks_oldest_due()
        waited = timezone.now() - oldest if oldest else dt.timedelta(0)
        if waited > dt.timedelta(seconds=max_wait):
            raise CommandError(f"tasks have waited {waited.total_seconds():.0f} s for a worker")
        self.stdout.write(f"tasks: the oldest due task has waited {waited.total_seconds():.0f} s")
