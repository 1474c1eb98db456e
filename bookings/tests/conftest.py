import datetime as dt

import pytest
from django.utils import timezone

from bookings.services import booking_request
from catalog.tests.factories import make_service


@pytest.fixture
def service(provider):
    return make_service(provider, duration_minutes=180)


def at(days: int, hour: int = 20) -> dt.datetime:
    """A time `days` from now at `hour`:00 local time."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def booking(client_user, service):
    return booking_request(client=client_user, service=service, starts_at=at(30), venue="Villa Rosa, Potsdam")
