import pytest

from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service


@pytest.fixture
def service(provider):
    return make_service(provider, duration_minutes=180)


@pytest.fixture
def booking(client_user, service):
    return make_booking(client=client_user, service=service)


@pytest.fixture
def hourly(provider):
    """A DJ at 90.00 an hour, for at least two hours; three hours typical."""
    return make_service(provider, title="Party DJ", pricing="hourly", hourly_rate_minor=9000, min_duration_minutes=120)
