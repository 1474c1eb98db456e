"""Booking pages: the Book form, My bookings, the booking page and its action buttons."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import make_user, session_queries
from bookings.models import Booking
from bookings.services import booking_request, booking_transition, review_create
from bookings.tests.factories import at, make_booking

pytestmark = pytest.mark.django_db


def form_data(days=20, **overrides):
    day = timezone.localdate() + dt.timedelta(days=days)
    return {
        "date": day.isoformat(),
        "start_time": "19:30",
        "duration_minutes": "180",
        "venue": "Villa Rosa",
        **overrides,
    }


def test_book_form_creates_a_request_in_the_services_time_zone(client, client_user, service):
    client.force_login(client_user)
    response = client.post(reverse("bookings:new", args=[service.public_id]), form_data(message="Wedding"))
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("bookings:detail", args=[booking.public_id])
    assert booking.starts_at.astimezone(ZoneInfo(service.timezone)).strftime("%H:%M") == "19:30"
    assert booking.message == "Wedding"


def test_book_form_errors_keep_input_and_write_nothing(client, client_user, service):
    client.force_login(client_user)
    response = client.post(reverse("bookings:new", args=[service.public_id]), form_data(days=-3, venue=""))
    assert response.status_code == 200
    assert {"date", "venue"} <= set(response.context["form"].errors)
    assert not Booking.objects.exists()


@pytest.mark.parametrize("date", ["9999-12-31", "2999-06-01"])
def test_book_form_with_a_date_centuries_ahead_shows_an_inline_error_and_books_nothing(
    client, client_user, service, date
):
    client.force_login(client_user)
    response = client.post(reverse("bookings:new", args=[service.public_id]), form_data(date=date, start_time="23:30"))
    assert response.status_code == 200
    assert response.context["form"].errors["date"] == ["Pick a time within the next 10 years."]
    assert not Booking.objects.exists()


def test_taken_slot_is_explained(client, client_user, service):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    client.force_login(client_user)
    day = timezone.localtime(booking.starts_at).date()
    response = client.post(
        reverse("bookings:new", args=[service.public_id]),
        {**form_data(), "date": day.isoformat(), "start_time": timezone.localtime(booking.starts_at).strftime("%H:%M")},
    )
    assert response.status_code == 200
    assert "already booked" in str(response.context["form"].non_field_errors())
    assert Booking.objects.count() == 1


def test_providers_cannot_book(client, provider, service):
    client.force_login(provider)
    assert client.get(reverse("bookings:new", args=[service.public_id])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, service):
    response = client.get(reverse("bookings:new", args=[service.public_id]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_my_bookings_tabs_and_query_count(
    client, client_user, provider, service, booking, django_assert_num_queries, settings
):
    client.force_login(client_user)
    response = client.get(reverse("bookings:list"))
    assert [b.pk for b in response.context["page"]] == [booking.pk]
    assert list(client.get(reverse("bookings:list"), {"tab": "past"}).context["page"]) == []
    for i in range(8):
        booking_request(client=client_user, service=service, starts_at=at(40 + i), venue="Hall")
    with django_assert_num_queries(4 + session_queries(settings)):  # user, count, page, unread (+ session)
        client.get(reverse("bookings:list"))


def test_booking_page_for_parties_only(client, client_user, provider, stranger, staff_user, booking):
    url = reverse("bookings:detail", args=[booking.public_id])
    for user, status in ((client_user, 200), (provider, 200), (staff_user, 200), (stranger, 404)):
        client.force_login(user)
        assert client.get(url).status_code == status


def test_buttons_come_from_the_state_machine(client, provider, booking):
    client.force_login(provider)
    response = client.get(reverse("bookings:detail", args=[booking.public_id]))
    assert [a.name for a in response.context["actions"]] == ["accept", "decline"]


def test_detail_query_count_does_not_grow_with_events(
    client, provider, client_user, booking, django_assert_num_queries, settings
):
    client.force_login(client_user)
    url = reverse("bookings:detail", args=[booking.public_id])
    client.get(url)
    # user, booking, events, ledger, messages, notifications read, unread count (+ session)
    expected = 7 + session_queries(settings)
    with django_assert_num_queries(expected):
        client.get(url)
    booking_transition(booking=booking, action="accept", actor=provider)
    booking_transition(booking=booking, action="mark_paid", actor=provider)
    with django_assert_num_queries(expected):
        client.get(url)
    booking_transition(
        booking=booking, action="complete", actor=provider, now=booking.starts_at + dt.timedelta(hours=1)
    )
    with django_assert_num_queries(expected + 2):  # completed: its reviews, and when it was completed (the form's date)
        client.get(url)


def test_htmx_action_returns_the_card_and_a_trigger(client, provider, booking):
    client.force_login(provider)
    url = reverse("bookings:action", args=[booking.public_id, "accept"])
    response = client.post(url, {"note": "See you"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"bookingChanged": {}}
    html = response.content.decode()
    assert 'id="booking-card"' in html and "<html" not in html
    booking.refresh_from_db()
    assert booking.state == "accepted"


def test_plain_post_redirects(client, provider, booking):
    client.force_login(provider)
    response = client.post(reverse("bookings:action", args=[booking.public_id, "accept"]))
    assert response.status_code == 302


def test_stale_action_explains_and_shows_current_buttons(client, provider, client_user, booking):
    booking_transition(booking=booking, action="withdraw", actor=client_user)  # in another tab
    client.force_login(provider)
    response = client.post(
        reverse("bookings:action", args=[booking.public_id, "accept"]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert response.context["problem"]
    assert response.context["actions"] == []
    assert booking.events.count() == 2


def test_strangers_cannot_act(client, stranger, booking):
    client.force_login(stranger)
    assert client.post(reverse("bookings:action", args=[booking.public_id, "accept"])).status_code == 404
    booking.refresh_from_db()
    assert booking.state == "requested"


def test_oversized_note_is_refused(client, provider, booking):
    client.force_login(provider)
    response = client.post(
        reverse("bookings:action", args=[booking.public_id, "accept"]),
        {"note": "x" * 5000},
        headers={"HX-Request": "true"},
    )
    assert response.context["problem"]
    booking.refresh_from_db()
    assert booking.state == "requested"


def test_unknown_action_is_explained(client, provider, booking):
    client.force_login(provider)
    response = client.post(
        reverse("bookings:action", args=[booking.public_id, "teleport"]), headers={"HX-Request": "true"}
    )
    assert response.context["problem"] == "That action does not exist."


def test_other_clients_bookings_are_not_listed(client, service, booking):
    other = make_user("zed@example.com", "Zed")
    client.force_login(other)
    assert list(client.get(reverse("bookings:list")).context["page"]) == []


def test_review_form_after_completion_only(client, client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    client.force_login(client_user)
    url = reverse("bookings:detail", args=[booking.public_id])
    assert client.get(url).context.get("review_form") is None
    booking_transition(
        booking=booking, action="complete", actor=provider, now=booking.starts_at + dt.timedelta(hours=1)
    )
    assert client.get(url).context["review_form"] is not None
    response = client.post(reverse("bookings:review", args=[booking.public_id]), {"rating": "5", "comment": "Superb"})
    assert response.status_code == 302
    page = client.get(url)
    assert page.context.get("review_form") is None  # once only
    assert [r.comment for r in page.context["card"].reviews] == ["Superb"]
    provider.provider_profile.refresh_from_db()
    assert provider.provider_profile.rating_count == 0  # blind until the provider reviews (or 14 days pass)
    review_create(booking=booking, author=provider, rating=5)
    provider.provider_profile.refresh_from_db()
    assert provider.provider_profile.rating_count == 1


def test_bad_review_keeps_input(client, client_user, service):
    booking = make_booking(client=client_user, service=service, to_state="completed")
    client.force_login(client_user)
    response = client.post(reverse("bookings:review", args=[booking.public_id]), {"rating": "9", "comment": "Hmm"})
    assert response.status_code == 200
    assert "rating" in response.context["review_form"].errors
    assert not booking.reviews.exists()


def test_early_review_is_refused_with_a_message(client, client_user, booking):
    client.force_login(client_user)
    response = client.post(reverse("bookings:review", args=[booking.public_id]), {"rating": "5"}, follow=True)
    assert "once the booking is completed" in response.content.decode()
    assert not booking.reviews.exists()


def test_card_polls_revalidate_and_an_unchanged_card_is_not_rendered(
    client, provider, client_user, service, django_assert_num_queries, settings
):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    client.force_login(client_user)
    url = reverse("bookings:detail", args=[booking.public_id])
    poll = {"HX-Request": "true"}
    first = client.get(url, headers=poll)
    assert first.status_code == 200 and first["Cache-Control"] == "private, no-cache"
    assert "HX-Request" in first["Vary"]
    version = first["ETag"]
    # user, booking, ledger, the thread's mark (+ session): no events, no messages, no template
    with django_assert_num_queries(4 + session_queries(settings)):
        again = client.get(url, headers={**poll, "If-None-Match": version})
    assert again.status_code == 304 and again["ETag"] == version and again.content == b""
    # The full page is never answered from the card's version.
    assert client.get(url, headers={"If-None-Match": version}).status_code == 200
    # Time passing changes the card too: closer to the gig, a cancellation refunds less.
    Booking.objects.filter(pk=booking.pk).update(starts_at=at(10), ends_at=at(10) + dt.timedelta(hours=3))
    later = client.get(url, headers={**poll, "If-None-Match": version})
    assert later.status_code == 200 and later["ETag"] != version
    assert "(50 % of what you paid)" in later.content.decode()
    # And so does a change by the other party.
    booking_transition(booking=booking, action="cancel", actor=provider)
    changed = client.get(url, headers={**poll, "If-None-Match": later["ETag"]})
    assert changed.status_code == 200 and 'data-testid="booking-state">cancelled<' in changed.content.decode()


class TestLivePrice:
    def test_the_form_shows_the_price_of_the_typical_length(self, client, client_user, hourly):
        client.force_login(client_user)
        page = client.get(reverse("bookings:new", args=[hourly.public_id])).content.decode()
        assert "Price for 3 h" in page and "€270" in page and "€90 an hour" in page
        assert f'hx-get="{reverse("bookings:price", args=[hourly.public_id])}"' in page

    def test_htmx_asks_for_the_price_of_each_length(self, client, client_user, hourly):
        client.force_login(client_user)
        url = reverse("bookings:price", args=[hourly.public_id])
        response = client.get(url, {"duration_minutes": "360"}, headers={"HX-Request": "true"})
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html
        assert 'id="booking-price"' in html and "Price for 6 h" in html and "€540" in html

    @pytest.mark.parametrize(
        ("typed", "words"),
        [
            ("60", "booked for at least 2 hours"),
            ("5000", "Between 15 and 1440 minutes."),
            ("", "Give the length in minutes"),
            ("six", "Give the length in minutes"),
            ("9" * 5000, "Give the length in minutes"),
        ],
    )
    def test_a_length_that_cannot_be_booked_says_why(self, client, client_user, hourly, typed, words):
        client.force_login(client_user)
        response = client.get(reverse("bookings:price", args=[hourly.public_id]), {"duration_minutes": typed})
        assert response.status_code == 200
        assert words in response.content.decode() and "€" not in response.content.decode()

    def test_a_fixed_price_says_it_does_not_follow_the_length(self, client, client_user, service):
        client.force_login(client_user)
        response = client.get(reverse("bookings:price", args=[service.public_id]), {"duration_minutes": "600"})
        html = response.content.decode()
        assert "€1,500" in html and "a fixed price, whatever the length" in html

    def test_only_clients_get_prices(self, client, provider, hourly):
        client.force_login(provider)
        assert client.get(reverse("bookings:price", args=[hourly.public_id])).status_code == 403

    def test_without_javascript_the_request_is_priced_when_sent(self, client, client_user, hourly):
        client.force_login(client_user)
        response = client.post(reverse("bookings:new", args=[hourly.public_id]), form_data(duration_minutes="360"))
        booking = Booking.objects.get()
        assert booking.price_minor == 54000
        page = client.get(response["Location"]).content.decode()
        assert "Request sent to Pete Provider for €540." in page
        assert "€540" in page

    def test_below_the_minimum_the_form_says_so_and_keeps_the_input(self, client, client_user, hourly):
        client.force_login(client_user)
        response = client.post(reverse("bookings:new", args=[hourly.public_id]), form_data(duration_minutes="90"))
        assert response.status_code == 200
        assert response.context["form"].errors == {
            "duration_minutes": ["This service is booked for at least 2 hours (120 minutes)."]
        }
        assert "Price for 1 h 30 min" not in response.content.decode()
        assert not Booking.objects.exists()
