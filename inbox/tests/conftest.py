from bookings.tests.conftest import booking, hourly, service  # noqa: F401  the booking tests' fixtures
