"""The offer on the booking page: the provider's form (plain POST and htmx), what each party
reads on the card, and the client's answer."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import session_queries
from bookings.models import Booking, Offer
from bookings.tests.factories import at, make_booking, send_offer
from gigsta.tests.helpers import tasks_due

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def offer_url(booking) -> str:
    return reverse("bookings:offer", args=[booking.public_id])


def detail_url(booking) -> str:
    return reverse("bookings:detail", args=[booking.public_id])


def terms(**overrides) -> dict:
    expires = (timezone.now() + dt.timedelta(days=2)).astimezone(ZoneInfo("Europe/Berlin"))
    return {
        "offer-price": "1800",
        "offer-duration_minutes": "240",
        "offer-deposit_percent": "20",
        "offer-expires_at": expires.strftime("%Y-%m-%dT%H:%M"),
        "offer-note": "Four hours, with our own PA.",
        **overrides,
    }


def untouched(booking) -> bool:
    booking.refresh_from_db()
    return booking.state == "requested" and not Offer.objects.exists() and booking.events.count() == 1


class TestTheForm:
    def test_the_provider_gets_an_offer_form_filled_with_the_request(self, client, provider, booking):
        client.force_login(provider)
        response = client.get(detail_url(booking))
        html = response.content.decode()
        form = response.context["offer_form"]
        assert f'action="{offer_url(booking)}"' in html and f'hx-post="{offer_url(booking)}"' in html
        assert "Send an offer instead" in html
        assert (form["price"].value(), form["duration_minutes"].value(), form["deposit_percent"].value()) == (
            1500,
            180,
            0,
        )
        expected = (timezone.now() + dt.timedelta(hours=72)).astimezone(ZoneInfo("Europe/Berlin"))
        assert abs(form["expires_at"].value() - expected.replace(tzinfo=None)) < dt.timedelta(minutes=2)

    def test_a_revision_starts_from_the_offer_on_the_table(self, client, provider, booking):
        send_offer(booking, price_minor=180000, duration_minutes=240, deposit_percent=20, note="Own PA")
        client.force_login(provider)
        form = client.get(detail_url(booking)).context["offer_form"]
        values = [form[f].value() for f in ("price", "duration_minutes", "deposit_percent", "note")]
        assert values == [1800, 240, 20, "Own PA"]

    def test_the_client_gets_no_offer_form(self, client, client_user, booking):
        client.force_login(client_user)
        response = client.get(detail_url(booking))
        assert "offer_form" not in response.context and offer_url(booking) not in response.content.decode()

    def test_without_javascript_an_offer_is_sent_and_the_page_says_so(self, client, provider, booking):
        client.force_login(provider)
        response = client.post(offer_url(booking), terms())
        assert response.status_code == 302 and response["Location"] == detail_url(booking)
        booking.refresh_from_db()
        assert booking.state == "offered" and booking.offer.price_minor == 180000
        assert (booking.offer.duration_minutes, booking.offer.deposit_percent) == (240, 20)
        page = client.get(detail_url(booking)).content.decode()
        assert "Done: Offer sent: €1,800 for 4 hours, 20 % deposit" in page
        assert "Revise your offer" in page and "Your offer" in page

    def test_htmx_gets_the_card_with_the_offer_and_a_trigger(self, client, provider, booking):
        client.force_login(provider)
        response = client.post(offer_url(booking), terms(), headers=HTMX)
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html and 'id="booking-card"' in html
        assert json.loads(response["HX-Trigger"]) == {"bookingChanged": {}}
        assert 'data-testid="offer"' in html and "€1,800" in html and "Revise your offer" in html

    def test_the_expiry_is_read_in_the_venues_time(self, client, provider, booking, settings):
        settings.TIME_ZONE = "UTC"
        client.force_login(provider)
        day = (timezone.now() + dt.timedelta(days=2)).date()
        client.post(offer_url(booking), terms(**{"offer-expires_at": f"{day.isoformat()}T20:00"}))
        booking.refresh_from_db()
        assert booking.offer.expires_at == dt.datetime.combine(day, dt.time(20), tzinfo=ZoneInfo("Europe/Berlin"))

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"offer-price": "0"}, "price"),
            ({"offer-price": "-20"}, "price"),
            ({"offer-price": "5000000"}, "price"),
            ({"offer-price": "12.345"}, "price"),
            ({"offer-price": ""}, "price"),
            ({"offer-duration_minutes": "5"}, "duration_minutes"),
            ({"offer-duration_minutes": "99999999999999999999"}, "duration_minutes"),
            ({"offer-deposit_percent": "95"}, "deposit_percent"),
            ({"offer-expires_at": "2020-01-01T10:00"}, "expires_at"),
            ({"offer-expires_at": "9999-12-31T23:59"}, "expires_at"),
            ({"offer-expires_at": "yesterday"}, "expires_at"),
            ({"offer-note": "x" * 1001}, "note"),
        ],
    )
    def test_bad_terms_come_back_inline_and_nothing_is_written(self, client, provider, booking, changes, field):
        client.force_login(provider)
        response = client.post(offer_url(booking), terms(**changes))
        assert response.status_code == 200
        assert set(response.context["offer_form"].errors) == {field}
        html = response.content.decode()
        assert "<html" in html and '<details class="offer-form" open' in html
        assert field == "note" or "Four hours, with our own PA." in html  # what was typed is kept
        assert untouched(booking) and not tasks_due().exists()

    def test_bad_terms_come_back_on_the_card_for_htmx(self, client, provider, booking):
        client.force_login(provider)
        expires = (booking.starts_at + dt.timedelta(hours=1)).astimezone(ZoneInfo("Europe/Berlin"))
        late = terms(**{"offer-expires_at": f"{expires:%Y-%m-%dT%H:%M}"})
        response = client.post(offer_url(booking), late, headers=HTMX)
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html and "HX-Trigger" not in response
        assert response.context["offer_form"].errors == {
            "expires_at": ["The offer must expire by the time the gig starts."]
        }
        assert '<details class="offer-form" open' in html
        assert untouched(booking)

    def test_an_offer_on_a_booking_that_moved_on_is_explained(self, client, provider, client_user, service):
        booking = make_booking(client=client_user, service=service, to_state="accepted")
        client.force_login(provider)
        response = client.post(offer_url(booking), terms(), headers=HTMX)
        assert response.status_code == 200
        assert "not possible while the booking is accepted" in response.context["problem"]
        response = client.post(offer_url(booking), terms())
        assert response.status_code == 302
        assert "not possible while the booking is accepted" in client.get(detail_url(booking)).content.decode()
        assert not Offer.objects.exists()

    def test_the_client_may_not_offer_and_strangers_find_nothing(self, client, client_user, stranger, booking):
        client.force_login(client_user)
        assert client.post(offer_url(booking), terms()).status_code == 403
        client.force_login(stranger)
        assert client.post(offer_url(booking), terms()).status_code == 404
        assert untouched(booking)


class TestTheClientsAnswer:
    def test_the_client_reads_the_offer_in_their_own_terms(self, client, client_user, booking):
        send_offer(booking, price_minor=180000, duration_minutes=240, deposit_percent=20, expires_at=at(3, hour=18))
        client.force_login(client_user)
        html = client.get(detail_url(booking)).content.decode()
        assert "Pete Provider answered your request with an offer. Accept it to book" in html
        assert "You have until " in html and "to accept or decline the offer" in html  # the card's deadline
        assert "Pete Provider\u2019s offer" in html
        assert "€1,800" in html and "instead of €1,500 as requested" in html
        assert "4 h, 20:00\u201300:00" in html and "instead of 3 h" in html
        assert "20 % (€360) once accepted" in html
        assert at(3, hour=18).astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %-d %b %Y, 18:00") in html
        assert "If you accept the offer, you pay a 20 % deposit of €360" in html
        assert [a.name for a in client.get(detail_url(booking)).context["actions"]] == [
            "accept_offer",
            "decline_offer",
            "withdraw",
        ]

    def test_the_provider_reads_what_they_would_keep(self, client, provider, booking):
        send_offer(booking, price_minor=180000)
        client.force_login(provider)
        html = client.get(detail_url(booking)).content.decode()
        assert "Your offer" in html and "Carla Client has until " in html and "to answer your offer" in html
        assert "If Carla Client accepts your offer" in html

    def test_accepting_on_the_page_books_at_the_offer(self, client, client_user, booking):
        send_offer(booking, price_minor=180000, duration_minutes=240)
        client.force_login(client_user)
        url = reverse("bookings:action", args=[booking.public_id, "accept_offer"])
        response = client.post(url, headers=HTMX)
        assert response.status_code == 200 and json.loads(response["HX-Trigger"]) == {"bookingChanged": {}}
        booking.refresh_from_db()
        assert booking.state == "accepted" and booking.price_minor == 180000
        swapped = response.content.decode()  # the price and times outside the card come along, out of band
        assert 'id="booking-terms-head" hx-swap-oob="true"' in swapped and "€1,800" in swapped
        assert 'id="booking-terms-details" hx-swap-oob="true"' in swapped and "00:00" in swapped
        page = client.get(detail_url(booking)).content.decode()
        assert "Agreed in Pete Provider\u2019s offer" in page and 'data-testid="offer"' not in page
        assert "You accepted Pete Provider\u2019s offer: the date is held for you." in page
        assert "hx-swap-oob" not in page
        client.force_login(booking.provider)
        assert "Carla Client accepted your offer: the date is held." in client.get(detail_url(booking)).content.decode()

    def test_offered_bookings_are_upcoming(self, client, client_user, booking):
        send_offer(booking)
        client.force_login(client_user)
        response = client.get(reverse("bookings:list"))
        assert [b.pk for b in response.context["page"]] == [booking.pk]


@pytest.mark.parametrize("reader", ["client_user", "provider"])
def test_an_offered_booking_page_costs_what_any_booking_page_costs(
    client, booking, reader, request, django_assert_num_queries, settings
):
    send_offer(booking)
    send_offer(Booking.objects.get(pk=booking.pk), price_minor=170000)
    client.force_login(request.getfixturevalue(reader))
    url = detail_url(booking)
    client.get(url)
    # user, booking, events, ledger, thread, notifications read, the nav's unread count
    with django_assert_num_queries(7 + session_queries(settings)):
        response = client.get(url)
    assert "€1,700" in response.content.decode()


def test_the_booking_list_shows_the_price_on_offer(client, booking, client_user):
    send_offer(booking, price_minor=170000)
    client.force_login(client_user)
    page = client.get(reverse("bookings:list")).content.decode()
    assert '<span class="price price--sm" data-testid="row-price">€1,700</span>' in page
    assert f"offered, was €{booking.price_minor // 100:,}" in page
