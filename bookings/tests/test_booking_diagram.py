from bookings.management.commands.booking_diagram import DOC, render


def test_committed_lifecycle_diagram_is_current():
    assert DOC.exists(), "run: python manage.py booking_diagram"
    assert DOC.read_text() == render(), "docs/booking-lifecycle.md is stale: run python manage.py booking_diagram"
