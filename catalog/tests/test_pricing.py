"""catalog.pricing: what a booking of a service costs for how long; and services priced by the hour
through the service, the dashboard form and the API."""

import json
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.tests.factories import auth
from catalog.models import MAX_HOURLY_RATE_MINOR, MAX_PRICE_MINOR, Listing, Service
from catalog.pricing import hourly_price, length_refusal, minutes_words, price_for, quote
from catalog.services import ServiceData, service_update
from catalog.tests.factories import make_service


@dataclass
class Terms:
    pricing: str = "fixed"
    price_minor: int = 110000
    hourly_rate_minor: int | None = None
    min_duration_minutes: int | None = None


HOURLY = Terms(pricing="hourly", price_minor=27000, hourly_rate_minor=9000, min_duration_minutes=120)
# POST /api/services for a DJ at 120.00 an hour, for at least two hours.
HOURLY_BODY = {
    "title": "Rooftop DJ",
    "category": "dj",
    "currency": "EUR",
    "city": "Hamburg, Germany",
    "duration_minutes": 180,
    "pricing": "hourly",
    "hourly_rate_minor": 12000,
    "min_duration_minutes": 120,
}


def create_api(client, user, body):
    url = reverse("api:service_create_api")
    return client.post(url, json.dumps(body), content_type="application/json", headers=auth(user))


def test_a_fixed_price_does_not_follow_the_length():
    assert price_for(Terms(), 150) == price_for(Terms(), 600) == 110000


def test_an_hourly_price_follows_the_length():
    assert price_for(HOURLY, 120) == 18000
    assert price_for(HOURLY, 360) == 54000
    assert price_for(HOURLY, 90) == 13500


@pytest.mark.parametrize(
    ("rate", "minutes", "price"),
    [
        (100, 15, 25),
        (1001, 30, 501),  # 500.5 rounds half up
        (1001, 20, 334),  # 333.67
        (1000, 20, 333),  # 333.33
        (9999, 1, 167),  # 166.65
    ],
)
def test_hourly_prices_round_half_up_to_a_minor_unit(rate, minutes, price):
    assert hourly_price(rate, minutes) == price


def test_the_dearest_day_stays_within_the_largest_price():
    assert hourly_price(MAX_HOURLY_RATE_MINOR, 24 * 60) <= MAX_PRICE_MINOR


def test_the_minimum_length_binds_hourly_services_only():
    assert length_refusal(HOURLY, 119) == "This service is booked for at least 2 hours (120 minutes)."
    assert length_refusal(HOURLY, 120) is None
    assert length_refusal(Terms(min_duration_minutes=None), 15) is None


def test_a_quote_is_a_price_or_the_reason_there_is_none():
    assert quote(HOURLY, 360).price_minor == 54000 and quote(HOURLY, 360).problem == ""
    assert quote(HOURLY, 60).price_minor is None and "at least 2 hours" in quote(HOURLY, 60).problem
    assert quote(Terms(), 10).problem == "Between 15 and 1440 minutes."
    assert quote(Terms(), 1441).price_minor is None


@pytest.mark.parametrize(
    ("minutes", "words"), [(45, "45 minutes"), (60, "1 hour"), (150, "2 hours 30 minutes"), (61, "1 hour 1 minute")]
)
def test_minutes_in_words(minutes, words):
    assert minutes_words(minutes) == words


@pytest.mark.django_db
class TestHourlyServices:
    def test_an_hourly_service_keeps_the_price_of_its_typical_length_for_search(self, provider):
        service = make_service(
            provider, pricing="hourly", price_minor=None, hourly_rate_minor=9000, min_duration_minutes=120
        )
        assert (service.pricing, service.price_minor, service.duration_minutes) == ("hourly", 27000, 180)
        assert Listing.objects.get(service=service).price_minor == 27000  # what search sorts and filters by

    def test_switching_to_a_fixed_price_forgets_the_rate(self, provider):
        service = make_service(provider, pricing="hourly", hourly_rate_minor=9000, min_duration_minutes=120)
        data = ServiceData(
            title=service.title, description="", category="live-music", price_minor=50000, currency="EUR",
            duration_minutes=180, city="Berlin, Germany", pricing="fixed", hourly_rate_minor=9000,
        )  # fmt: skip
        service = service_update(service=service, actor=provider, data=data)
        service.refresh_from_db()
        assert (service.price_minor, service.hourly_rate_minor, service.min_duration_minutes) == (50000, None, None)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"hourly_rate_minor": None}, "hourly_rate_minor"),
            ({"hourly_rate_minor": 99}, "hourly_rate_minor"),
            ({"hourly_rate_minor": MAX_HOURLY_RATE_MINOR + 1}, "hourly_rate_minor"),
            ({"hourly_rate_minor": 300, "duration_minutes": 15, "min_duration_minutes": 15}, "hourly_rate_minor"),
            ({"min_duration_minutes": None}, "min_duration_minutes"),
            ({"min_duration_minutes": 240}, "min_duration_minutes"),
            ({"pricing": "monthly"}, "pricing"),
        ],
    )
    def test_bad_hourly_terms_name_their_field_and_write_nothing(self, provider, changes, field):
        terms = {"pricing": "hourly", "hourly_rate_minor": 9000, "min_duration_minutes": 120, **changes}
        with pytest.raises(ValidationError) as exc:
            make_service(provider, **terms)
        assert set(exc.value.message_dict) == {field}
        assert not Service.objects.exists()

    def test_a_fixed_service_needs_its_price(self, provider):
        with pytest.raises(ValidationError) as exc:
            make_service(provider, price_minor=None)
        assert exc.value.message_dict == {"price_minor": ["Give the price."]}

    def test_the_dashboard_form_lists_an_hourly_service(self, client, provider):
        client.force_login(provider)
        form = {
            "title": "Party DJ by the hour",
            "category": "dj",
            "pricing": "hourly",
            "price": "",
            "hourly_rate": "95.50",
            "min_duration_minutes": "120",
            "currency": "EUR",
            "duration_minutes": "240",
            "city": "Hamburg, Germany",
            "is_active": "on",
        }
        assert client.post(reverse("catalog:service-new"), form).status_code == 302
        service = Service.objects.get()
        assert (service.hourly_rate_minor, service.min_duration_minutes, service.price_minor) == (9550, 120, 38200)
        page = client.get(reverse("catalog:dashboard")).content.decode()
        assert "€95.50 an hour" in page and "at least 2 h" in page
        edit = client.get(reverse("catalog:service-edit", args=[service.public_id]))
        assert edit.context["form"]["pricing"].value() == "hourly"
        assert 'value="95.5"' in edit.content.decode()

    def test_the_dashboard_form_says_which_hourly_field_is_missing(self, client, provider):
        client.force_login(provider)
        form = {"title": "Party DJ", "category": "dj", "pricing": "hourly", "currency": "EUR", "duration_minutes": "60"}
        response = client.post(reverse("catalog:service-new"), {**form, "city": "Hamburg, Germany"})
        assert response.status_code == 200
        assert set(response.context["form"].errors) == {"hourly_rate", "min_duration_minutes"}
        longer = {**form, "city": "Hamburg, Germany", "hourly_rate": "90", "min_duration_minutes": "120"}
        response = client.post(reverse("catalog:service-new"), longer)
        assert response.context["form"].errors == {
            "min_duration_minutes": ["The minimum length cannot be longer than the typical duration."]
        }
        assert not Service.objects.exists()

    def test_the_api_lists_and_answers_hourly_services(self, client, provider):
        response = create_api(client, provider, HOURLY_BODY)
        assert response.status_code == 201
        answer = response.json()
        assert answer["pricing"] == "hourly" and answer["price_minor"] == 36000
        assert (answer["hourly_rate_minor"], answer["min_duration_minutes"]) == (12000, 120)
        detail = client.get(reverse("api:service_detail_api", args=[answer["id"]])).json()
        assert detail["hourly_rate_minor"] == 12000

    def test_the_api_keeps_fixed_prices_as_they_were(self, client, provider):
        service = make_service(provider)
        answer = client.get(reverse("api:service_detail_api", args=[service.public_id])).json()
        assert answer["pricing"] == "fixed" and answer["price_minor"] == 150000
        assert answer["hourly_rate_minor"] is None and answer["min_duration_minutes"] is None

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"hourly_rate_minor": 0}, "hourly_rate_minor"),
            ({"hourly_rate_minor": -500}, "hourly_rate_minor"),
            ({"hourly_rate_minor": 10**12}, "hourly_rate_minor"),
            ({"min_duration_minutes": 5}, "min_duration_minutes"),
            ({"pricing": "weekly"}, "pricing"),
            ({"min_duration_minutes": None}, "min_duration_minutes"),
        ],
    )
    def test_bad_hourly_fields_are_422_naming_the_field(self, client, provider, changes, field):
        response = create_api(client, provider, {**HOURLY_BODY, **changes})
        assert response.status_code == 422
        assert field in [e["field"] for e in response.json()["errors"]]
        assert not Service.objects.exists()

    def test_patch_switches_a_service_to_hourly(self, client, provider):
        service = make_service(provider)
        url = reverse("api:service_update_api", args=[service.public_id])
        body = {"pricing": "hourly", "hourly_rate_minor": 50000, "min_duration_minutes": 60}
        response = client.patch(url, json.dumps(body), content_type="application/json", headers=auth(provider))
        assert response.status_code == 200
        assert response.json()["price_minor"] == 150000  # 3 h at 500.00
        service.refresh_from_db()
        assert service.pricing == "hourly" and service.hourly_rate_minor == 50000
