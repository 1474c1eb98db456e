"""The private feed (token only, no session), "Add to calendar" and the new-link button."""

import pytest
from django.urls import reverse

from accounts.tests.factories import make_user
from bookings.services import booking_transition
from bookings.tests.factories import make_booking
from calendars.ics import booking_uid
from calendars.models import CalendarFeed
from calendars.services import calendar_feed_ensure
from calendars.tests.helpers import events_of


def _feed_path(user) -> str:
    return reverse("calendars:feed", args=[calendar_feed_ensure(user=user).token])


def test_the_feed_needs_no_session_and_is_private(client, client_user, service):
    booking = make_booking(client=client_user, service=service)
    response = client.get(_feed_path(client_user))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert list(events_of(response)) == [booking_uid(booking)]
    assert "sessionid" not in response.cookies


def test_a_wrong_token_is_not_found(client, client_user):
    calendar_feed_ensure(user=client_user)
    assert client.get(reverse("calendars:feed", args=["x" * 43])).status_code == 404
    assert client.get(reverse("calendars:feed", args=["x" * 200])).status_code == 404


def test_a_providers_feed_has_taken_gigs_and_those_called_off_after(client, client_user, provider, service):
    request = make_booking(client=client_user, service=service)  # not a gig yet
    declined = make_booking(client=client_user, service=service, to_state="declined")  # never was one
    confirmed = make_booking(client=client_user, service=service, to_state="confirmed")
    events = events_of(client.get(_feed_path(provider)))
    assert set(events) == {booking_uid(confirmed)}
    booking_transition(booking=confirmed, action="cancel", actor=provider)
    events = events_of(client.get(_feed_path(provider)))
    assert events[booking_uid(confirmed)]["STATUS"] == "CANCELLED"
    assert booking_uid(request) not in events and booking_uid(declined) not in events


def test_a_clients_feed_has_all_their_bookings_and_nobody_elses(client, client_user, stranger, service):
    mine = make_booking(client=client_user, service=service)
    declined = make_booking(client=client_user, service=service, to_state="declined")
    theirs = make_booking(client=stranger, service=service)
    events = events_of(client.get(_feed_path(client_user)))
    assert set(events) == {booking_uid(mine), booking_uid(declined)}
    assert events[booking_uid(declined)]["STATUS"] == "CANCELLED"
    assert booking_uid(theirs) not in events


def test_a_new_link_makes_the_old_one_not_found(client, client_user):
    old = _feed_path(client_user)
    client.force_login(client_user)
    response = client.post(reverse("calendars:rotate"))
    assert response.status_code == 302 and response["Location"].endswith("/accounts/profile/#calendar")
    new = _feed_path(client_user)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_a_new_link_is_a_post(client, client_user):
    client.force_login(client_user)
    token = calendar_feed_ensure(user=client_user).token
    assert client.get(reverse("calendars:rotate")).status_code == 405
    assert CalendarFeed.objects.get(user=client_user).token == token


def test_a_deactivated_accounts_feed_is_not_found(client, client_user):
    path = _feed_path(client_user)
    client_user.is_active = False
    client_user.save()
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("who", ["client_user", "provider", "staff_user"])
def test_parties_and_staff_add_a_booking_to_their_calendar(client, request, who, client_user, service):
    booking = make_booking(client=client_user, service=service)
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("calendars:booking", args=[booking.public_id]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="gigsta-{booking.reference}.ics"'
    assert list(events_of(response)) == [booking_uid(booking)]


def test_a_stranger_gets_not_found_for_a_bookings_calendar_file(client, client_user, stranger, service):
    booking = make_booking(client=client_user, service=service)
    client.force_login(stranger)
    assert client.get(reverse("calendars:booking", args=[booking.public_id])).status_code == 404


def test_adding_to_a_calendar_needs_signing_in(client, client_user, service):
    booking = make_booking(client=client_user, service=service)
    response = client.get(reverse("calendars:booking", args=[booking.public_id]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_profile_shows_the_feed_link_and_the_booking_page_links_the_file(client, client_user, service):
    booking = make_booking(client=client_user, service=service)
    client.force_login(client_user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "http://127.0.0.1:8000" + _feed_path(client_user) in page
    assert reverse("calendars:rotate") in page
    page = client.get(reverse("bookings:detail", args=[booking.public_id])).content.decode()
    assert reverse("calendars:booking", args=[booking.public_id]) in page


def test_each_user_has_one_feed_of_their_own(client_user, stranger):
    make_user("x@example.com", "X")  # an account has no feed until it is asked for
    assert _feed_path(client_user) != _feed_path(stranger)
    assert _feed_path(client_user) == _feed_path(client_user)
    assert CalendarFeed.objects.count() == 2


def test_the_feed_and_the_file_show_a_new_time_once_accepted(client, client_user, provider, service):
    from bookings.services import reschedule_propose
    from bookings.tests.factories import at

    booking = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(30))
    uid = booking_uid(booking)
    first = events_of(client.get(_feed_path(provider)))[uid]
    reschedule_propose(booking=booking, actor=provider, starts_at=at(32, 19))
    booking_transition(booking=booking, action="accept_reschedule", actor=client_user)
    feed = events_of(client.get(_feed_path(provider)))[uid]
    client.force_login(client_user)
    file = events_of(client.get(reverse("calendars:booking", args=[booking.public_id])))[uid]
    for event in (feed, file):
        assert event.decoded("DTSTART") == at(32, 19)
        assert int(event["SEQUENCE"]) == int(first["SEQUENCE"]) + 2
