import pytest
from django.urls import reverse

from bookings.tests.factories import make_booking

pytestmark = pytest.mark.django_db


def test_booking_admin_pages_load(client, staff_user, booking):
    client.force_login(staff_user)
    assert client.get(reverse("admin:bookings_booking_changelist")).status_code == 200
    response = client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert response.status_code == 200
    assert b"request" in response.content  # the event inline


def test_staff_resolve_through_the_lifecycle(client, staff_user, service, client_user):
    booking = make_booking(client=client_user, service=service, to_state="disputed")
    client.force_login(staff_user)
    url = reverse("admin:bookings_booking_changelist")
    client.post(url, {"action": "resolve_release", "_selected_action": [booking.pk]})
    booking.refresh_from_db()
    assert booking.state == "completed"
    event = booking.events.last()
    assert (event.action, event.source, event.actor) == ("resolve_release", "admin", staff_user)


def test_staff_action_on_the_wrong_state_changes_nothing(client, staff_user, booking):
    client.force_login(staff_user)
    client.post(
        reverse("admin:bookings_booking_changelist"), {"action": "resolve_refund", "_selected_action": [booking.pk]}
    )
    booking.refresh_from_db()
    assert booking.state == "requested" and booking.events.count() == 1
