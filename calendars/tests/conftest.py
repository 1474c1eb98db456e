import pytest

from catalog.tests.factories import make_service


@pytest.fixture
def service(provider):
    return make_service(provider, duration_minutes=180)
