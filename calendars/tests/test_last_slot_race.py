"""Two clients take the last gig of a provider's day at the same moment, on the real PostgreSQL
server: exactly one wins, every round. The provider allows two gigs a day and holds one already;
each client accepts the provider's offer for a different free time that day (accepting an offer
claims the time), so only the daily maximum, checked under the provider lock, stands between them.

Runs where DATABASE_URL points at PostgreSQL (CI's second pass), like bookings/tests/test_concurrency.py.
"""

import datetime as dt
import importlib
import threading
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import make_user
from bookings.models import Booking
from bookings.services import SlotTaken, booking_request, booking_transition
from bookings.tests.factories import make_booking, send_offer
from calendars.availability import free_starts
from calendars.services import availability_rules_save, weekly_hours_save
from catalog.tests.factories import make_service

ROUNDS = 10
BERLIN = ZoneInfo("Europe/Berlin")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"),
]


@pytest.fixture(autouse=True)
def default_categories(transactional_db):
    """The database is flushed after each test, categories too: put them back."""
    importlib.import_module("catalog.migrations.0002_default_categories").add_categories(apps, None)


def test_two_clients_taking_the_last_gig_of_a_day_exactly_one_wins():
    provider = make_user("full@example.com", "Full Band", role="provider")
    service = make_service(provider, duration_minutes=120)
    availability_rules_save(
        provider=provider, buffer_before_minutes=0, buffer_after_minutes=0, min_notice_hours=0, max_gigs_per_day=2,
        timezone_name="Europe/Berlin",
    )  # fmt: skip
    weekly_hours_save(provider=provider, week={d: [(dt.time(8), dt.time(23))] for d in range(7)})
    first, second, early = (make_user(f"c{i}@example.com", f"Client {i}") for i in range(3))
    for round_no in range(ROUNDS):
        day = timezone.localdate() + dt.timedelta(days=10 + round_no)
        at = lambda hour: dt.datetime.combine(day, dt.time(hour), tzinfo=BERLIN)  # noqa: E731
        make_booking(client=early, service=service, to_state="accepted", starts_at=at(9))
        offers = [
            send_offer(booking_request(client=c, service=service, starts_at=at(hour), venue="Hall"))
            for c, hour in ((first, 14), (second, 19))
        ]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def take(booking: Booking) -> None:
            try:
                barrier.wait()
                booking_transition(booking=booking, action="accept_offer", actor=booking.client)
                outcomes.append("won")
            except SlotTaken as exc:
                outcomes.append("refused")
                assert "at most 2 gigs a day" in str(exc)
            finally:
                connection.close()  # this thread's own connection

        threads = [threading.Thread(target=take, args=(b,)) for b in offers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(outcomes) == ["refused", "won"], (round_no, outcomes)
        assert Booking.objects.filter(pk__in=[b.pk for b in offers], state="accepted").count() == 1
        assert free_starts(service, day, 120, now=timezone.now()) == []  # the day is full
