"""Without JavaScript a critical action (decline, withdraw, cancel, report a problem) opens a page
that says what it will do before it is taken; htmx (which asks in the browser) takes it at once."""

import pytest
from django.urls import reverse

from bookings.state_machine import ACTIONS_BY_NAME, State
from bookings.tests.factories import make_booking

pytestmark = pytest.mark.django_db


def action_url(booking, action: str) -> str:
    return reverse("bookings:action", args=[booking.public_id, action])


def test_a_critical_action_without_javascript_asks_first_and_keeps_the_note(client, provider, booking):
    assert ACTIONS_BY_NAME["decline"].is_critical
    client.force_login(provider)
    response = client.post(action_url(booking, "decline"), {"note": "Fully booked that week"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="action-confirm"' in html and "Decline?" in html
    assert "This cannot be undone." in html
    assert 'value="Fully booked that week"' in html and 'name="confirmed" value="yes"' in html
    booking.refresh_from_db()
    assert booking.state == State.REQUESTED and booking.events.count() == 1

    response = client.post(action_url(booking, "decline"), {"note": "Fully booked that week", "confirmed": "yes"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.state == State.DECLINED
    assert booking.events.order_by("created_at", "pk").last().note == "Request declined: Fully booked that week"


def test_the_confirmation_states_the_refund_the_client_would_get(client, client_user, service):
    booking = make_booking(client=client_user, service=service, to_state=State.CONFIRMED)
    client.force_login(client_user)
    html = client.post(action_url(booking, "cancel")).content.decode()
    consequence = html.split('data-testid="action-consequence">')[1].split("</p>")[0]
    assert consequence.startswith("You would get back ") and "% of what you paid" in consequence
    booking.refresh_from_db()
    assert booking.state == State.CONFIRMED


def test_htmx_takes_a_critical_action_at_once(client, provider, booking):
    client.force_login(provider)
    response = client.post(action_url(booking, "decline"), headers={"HX-Request": "true"})
    assert 'id="booking-card"' in response.content.decode()
    booking.refresh_from_db()
    assert booking.state == State.DECLINED


def test_harmless_actions_need_no_confirmation(client, provider, booking):
    assert not ACTIONS_BY_NAME["accept"].is_critical
    client.force_login(provider)
    assert client.post(action_url(booking, "accept")).status_code == 302
    booking.refresh_from_db()
    assert booking.state == State.ACCEPTED


def test_an_action_not_offered_gets_no_confirmation_page_but_the_refusal(client, client_user, booking):
    client.force_login(client_user)  # declining is the provider's
    response = client.post(action_url(booking, "decline"), follow=True)
    assert 'data-testid="action-confirm"' not in response.content.decode()
    assert any("decline" in str(m).lower() for m in response.context["messages"])
    booking.refresh_from_db()
    assert booking.state == State.REQUESTED
