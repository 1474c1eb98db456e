import pytest

from catalog.tests.factories import make_service


@pytest.fixture
def service(provider):
    return make_service(provider, duration_minutes=180)


@pytest.fixture
def feed_server(settings):
    """The calendar server on loopback, and fetching from loopback allowed (only here)."""
    from calendars.tests.feed_server import FeedServer

    settings.CALENDAR_IMPORT_ALLOW_PRIVATE = True
    settings.CALENDAR_IMPORT_TIMEOUT = 2
    settings.CALENDAR_IMPORT_CONNECT_TIMEOUT = 1
    with FeedServer() as server:
        yield server
