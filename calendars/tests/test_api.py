"""GET /api/bookings/{id}/ics, GET /api/me/calendar and POST /api/me/calendar/rotate."""

from django.urls import reverse

from accounts.tests.factories import auth
from bookings.tests.factories import make_booking
from calendars.ics import booking_uid
from calendars.tests.helpers import events_of


def test_a_party_gets_the_booking_as_one_event(client, client_user, provider, service):
    booking = make_booking(client=client_user, service=service)
    for user in (client_user, provider):
        response = client.get(reverse("api:booking_ics_api", args=[booking.public_id]), headers=auth(user))
        assert response.status_code == 200
        assert list(events_of(response)) == [booking_uid(booking)]


def test_a_stranger_gets_404_for_a_bookings_ics(client, client_user, stranger, service):
    booking = make_booking(client=client_user, service=service)
    response = client.get(reverse("api:booking_ics_api", args=[booking.public_id]), headers=auth(stranger))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_ics_needs_credentials(client, client_user, service):
    booking = make_booking(client=client_user, service=service)
    response = client.get(reverse("api:booking_ics_api", args=[booking.public_id]))
    assert response.status_code == 401


def test_the_feed_url_is_stable_until_rotated_and_then_the_old_one_is_404(client, client_user, service):
    booking = make_booking(client=client_user, service=service)
    headers = auth(client_user)
    first = client.get(reverse("api:calendar_feed_api"), headers=headers).json()["feed_url"]
    assert client.get(reverse("api:calendar_feed_api"), headers=headers).json()["feed_url"] == first
    assert first.startswith("http://127.0.0.1:8000/calendar/") and first.endswith(".ics")
    old_path = first.removeprefix("http://127.0.0.1:8000")
    assert booking_uid(booking) in events_of(client.get(old_path))

    response = client.post(reverse("api:calendar_rotate_api"), headers=headers)
    assert response.status_code == 200
    new_path = response.json()["feed_url"].removeprefix("http://127.0.0.1:8000")
    assert new_path != old_path
    assert client.get(old_path).status_code == 404
    assert booking_uid(booking) in events_of(client.get(new_path))


def test_the_feed_url_needs_credentials(client):
    assert client.get(reverse("api:calendar_feed_api")).status_code == 401
    response = client.post(reverse("api:calendar_rotate_api"))
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
