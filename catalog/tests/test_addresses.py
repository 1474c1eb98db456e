"""Street addresses through Addressable, against a fake Addressable on loopback (no network here)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from catalog.addresses import address_resolve, address_suggest
from catalog.models import Service

QUEEN_ST = {
    "street_number": "214-220",
    "street": "Queen Street",
    "locality": "Auckland Central",
    "city": "Auckland",
    "postcode": "1010",
    "lon": 174.765469,
    "lat": -36.849304,
    "formatted": "214-220 Queen Street, Auckland Central, Auckland",
}


class FakeAddressable(BaseHTTPRequestHandler):
    requests: list[dict] = []
    status = 200

    def do_GET(self):
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        FakeAddressable.requests.append({"path": urlsplit(self.path).path, **query})
        if query.get("api_key") != "test-key":
            self.send_response(401)
            self.end_headers()
            return
        rows = [QUEEN_ST, {"formatted": "no coordinates"}] if query.get("country_code") == "NZ" else []
        body = json.dumps(rows).encode()
        self.send_response(FakeAddressable.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def addressable(settings):
    FakeAddressable.requests = []
    FakeAddressable.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAddressable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.ADDRESSABLE_API_KEY = "test-key"
    settings.ADDRESSABLE_API_BASE = f"http://127.0.0.1:{server.server_port}"
    settings.ADDRESSABLE_COUNTRIES = ["AU", "NZ"]
    yield FakeAddressable
    server.shutdown()
    server.server_close()


def test_no_key_no_lookup(settings):
    settings.ADDRESSABLE_API_KEY = ""
    assert address_suggest("220 Queen St") == []


def test_suggestions_from_each_country(addressable):
    found = address_suggest("220 Queen St")
    assert [a.formatted for a in found] == [QUEEN_ST["formatted"]]  # the row without coordinates is dropped
    assert found[0].country_code == "NZ" and round(found[0].latitude, 2) == -36.85
    assert [r["country_code"] for r in addressable.requests] == ["AU", "NZ"]
    assert addressable.requests[0]["path"] == "/v2/autocomplete"


def test_short_queries_do_not_call_out(addressable):
    assert address_suggest("22") == []
    assert addressable.requests == []


def test_wrong_key_or_outage_finds_nothing(addressable, settings):
    settings.ADDRESSABLE_API_KEY = "wrong"
    assert address_suggest("220 Queen St") == []
    settings.ADDRESSABLE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    assert address_suggest("220 Queen St") == []


def test_resolve_needs_the_exact_suggestion(addressable):
    assert address_resolve(QUEEN_ST["formatted"]).longitude == pytest.approx(174.765469)
    assert address_resolve("214 Queen") is None


@pytest.mark.django_db
def test_city_suggestions_include_addresses(client, addressable):
    response = client.get(reverse("catalog:city-suggestions"), {"city": "220 Queen St"})
    assert f'<option value="{QUEEN_ST["formatted"]}">' in response.content.decode()


@pytest.mark.django_db
def test_service_at_a_street_address_gets_its_coordinates_and_time_zone(client, provider, addressable):
    client.force_login(provider)
    form = {
        "title": "Harbour jazz",
        "category": "live-music",
        "description": "",
        "price": "900",
        "currency": "EUR",
        "duration_minutes": "120",
        "city": QUEEN_ST["formatted"],
        "is_active": "on",
    }
    response = client.post(reverse("catalog:service-new"), form)
    assert response.status_code == 302
    service = Service.objects.get()
    assert service.city == QUEEN_ST["formatted"]
    assert service.latitude == pytest.approx(-36.849304)
    assert service.timezone == "Pacific/Auckland" and service.country_code == "NZ"
