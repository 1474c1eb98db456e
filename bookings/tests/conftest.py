import pytest

from bookings.services import booking_request
from bookings.tests.factories import at
from catalog.tests.factories import make_service


@pytest.fixture
def service(provider):
    return make_service(provider, duration_minutes=180)


@pytest.fixture
def booking(client_user, service):
    return booking_request(client=client_user, service=service, starts_at=at(30), venue="Villa Rosa, Potsdam")
