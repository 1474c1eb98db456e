"""The provider's dashboard opens with what waits for them, each with its deadline in their words."""

import pytest
from django.urls import reverse

from accounts.tests.factories import make_user, session_queries
from bookings.tests.factories import at, make_booking, send_offer

pytestmark = pytest.mark.django_db
URL = reverse("catalog:dashboard")


def section(html: str, key: str) -> str:
    start = html.index(f'data-testid="waiting-{key}"')
    return html[start : html.index("</section>", start)]


def test_requests_offers_and_payments_wait_in_their_groups(client, provider, client_user, service):
    requested = make_booking(client=client_user, service=service, starts_at=at(20), venue="Hall A")
    make_booking(client=client_user, service=service, starts_at=at(25), venue="Hall B")
    offered = send_offer(make_booking(client=client_user, service=service, starts_at=at(30)))
    accepted = make_booking(client=client_user, service=service, starts_at=at(35), to_state="accepted")
    make_booking(client=client_user, service=service, starts_at=at(40), to_state="confirmed")  # waits for no one
    client.force_login(provider)
    html = client.get(URL).content.decode()
    requests, offers, payments = (section(html, k) for k in ("requests", "offers", "payments"))
    assert requests.count('data-testid="waiting-item"') == 2 and str(requested.public_id) in requests
    assert "You have until " in requests and "to answer —" in requests
    assert offers.count('data-testid="waiting-item"') == 1 and str(offered.public_id) in offers
    assert "Carla Client has until " in offers and "to answer your offer" in offers
    assert payments.count('data-testid="waiting-item"') == 1 and str(accepted.public_id) in payments
    assert "to confirm the payment from Carla Client" in payments
    assert html.index('data-testid="waiting"') < html.index('id="services-title"')  # at the top


def test_soonest_deadline_first(client, provider, client_user, service):
    later = make_booking(client=client_user, service=service, starts_at=at(60))
    sooner = make_booking(client=client_user, service=service, starts_at=at(1))  # expires when the gig starts
    client.force_login(provider)
    requests = section(client.get(URL).content.decode(), "requests")
    assert requests.index(str(sooner.public_id)) < requests.index(str(later.public_id))


def test_nothing_waiting_says_so(client, provider):
    client.force_login(provider)
    assert 'data-testid="waiting-none"' in client.get(URL).content.decode()


def test_another_providers_bookings_do_not_show(client, provider, client_user, service):
    make_booking(client=client_user, service=service)
    other = make_user("olga@example.com", "Olga Other", role="provider")
    client.force_login(other)
    assert 'data-testid="waiting-none"' in client.get(URL).content.decode()


def test_the_dashboard_costs_the_same_with_2_or_8_waiting(
    client, provider, client_user, service, django_assert_num_queries, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for day in (20, 21):
        make_booking(client=client_user, service=service, starts_at=at(day))
    client.force_login(provider)
    client.get(URL)
    with CaptureQueriesContext(connection) as first:
        client.get(URL)
    for day in range(22, 28):
        send_offer(make_booking(client=client_user, service=service, starts_at=at(day)))
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(URL)
    assert len(first.captured_queries) <= 12 + session_queries(settings)
