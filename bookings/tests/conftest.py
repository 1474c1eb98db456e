import pytest

from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service


@pytest.fixture
def service(provider):
    return make_service(provider, duration_minutes=180)


@pytest.fixture
def booking(client_user, service):
    return make_booking(client=client_user, service=service)
