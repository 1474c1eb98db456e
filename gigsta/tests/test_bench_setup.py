import json
from importlib import import_module
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from bookings.models import Booking
from gigsta.management.commands.bench_setup import CLIENT, VENUE
from payments.models import WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_accounts():
    call_command("seed_demo", stdout=StringIO())


def bench_setup() -> dict:
    out = StringIO()
    call_command("bench_setup", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("BENCH_DATA ")]
    assert len(lines) == 1, out.getvalue()
    return json.loads(lines[0].removeprefix("BENCH_DATA "))


def test_prints_a_paid_booking_a_logged_in_session_and_a_processed_event(demo_accounts):
    data = bench_setup()

    booking = Booking.objects.get(public_id=data["booking"])
    assert (booking.state, booking.venue, booking.client.email) == ("confirmed", VENUE, CLIENT)
    assert booking.payments.count() == 2
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=data["session"])
    assert session.get("_auth_user_id") == str(User.objects.get(email=CLIENT).pk)
    assert data["event"]["type"] == "checkout.session.completed"
    assert WebhookEvent.objects.filter(event_id=data["event"]["id"]).exists()


def test_the_session_shows_the_client_the_booking_page_bench_measures(demo_accounts, client):
    data = bench_setup()

    client.cookies[settings.SESSION_COOKIE_NAME] = data["session"]
    page = client.get(f"/bookings/{data['booking']}/").content.decode()

    assert 'data-testid="money"' in page
    assert page.count('data-testid="receipt-link"') >= 2
    assert page.count('data-testid="event-money"') >= 2


def test_a_second_run_reuses_the_booking_and_the_event(demo_accounts):
    first, second = bench_setup(), bench_setup()

    assert second["booking"] == first["booking"]
    assert Booking.objects.filter(venue=VENUE).count() == 1
    assert WebhookEvent.objects.filter(event_id=first["event"]["id"]).count() == 1


def test_without_the_demo_accounts_it_says_what_to_run():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("bench_setup", stdout=StringIO())
