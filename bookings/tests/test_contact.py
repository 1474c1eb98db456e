"""Contact details: once a booking is confirmed each party sees the other's email and phone, on
the page and in the API; before that the page says the thread is the way to reach each other."""

import pytest
from django.urls import reverse

from accounts.tests.factories import auth
from bookings.state_machine import State
from bookings.tests.factories import make_booking

pytestmark = pytest.mark.django_db
HIDDEN = "Their email and phone show here once the booking is confirmed."


@pytest.fixture(autouse=True)
def phones(client_user, provider):
    for user, phone in ((client_user, "+49 30 1111111"), (provider, "+49 40 2222222")):
        user.phone = phone
        user.save()


def page(client, user, booking) -> str:
    client.force_login(user)
    return client.get(reverse("bookings:detail", args=[booking.public_id])).content.decode()


def api(client, user, booking) -> dict:
    return client.get(reverse("api:booking_detail_api", args=[booking.public_id]), headers=auth(user)).json()


@pytest.mark.parametrize("state", [State.REQUESTED, State.ACCEPTED, State.DECLINED, State.CANCELLED])
def test_before_confirmation_the_thread_is_the_channel(client, client_user, provider, service, state):
    booking = make_booking(client=client_user, service=service, to_state=state)
    for user, other in ((client_user, provider), (provider, client_user)):
        html = page(client, user, booking)
        assert other.email not in html and other.phone not in html
        assert HIDDEN in html and "messages are how you reach each other" in html
        assert api(client, user, booking)["contact"] is None


@pytest.mark.parametrize("state", [State.CONFIRMED, State.COMPLETED, State.DISPUTED])
def test_once_confirmed_each_party_sees_the_others_email_and_phone(client, client_user, provider, service, state):
    booking = make_booking(client=client_user, service=service, to_state=state)
    for user, other in ((client_user, provider), (provider, client_user)):
        html = page(client, user, booking)
        assert f'href="mailto:{other.email}"' in html and f'href="tel:{other.phone.replace(" ", "")}"' in html
        assert user.phone not in html  # their own number is not shown back to them as the other's
        assert api(client, user, booking)["contact"] == {
            "display_name": other.display_name,
            "email": other.email,
            "phone": other.phone,
        }


def test_without_a_phone_only_the_email_is_shown(client, client_user, provider, service):
    provider.phone = ""
    provider.save()
    booking = make_booking(client=client_user, service=service, to_state=State.CONFIRMED)
    html = page(client, client_user, booking)
    assert provider.email in html and 'data-testid="contact-phone"' not in html
    assert "by email: see" in html


def test_the_contact_details_arrive_with_the_cards_poll(client, client_user, provider, service):
    from bookings.services import booking_transition

    booking = make_booking(client=client_user, service=service, to_state=State.ACCEPTED)
    client.force_login(client_user)
    url = reverse("bookings:detail", args=[booking.public_id])
    first = client.get(url, headers={"HX-Request": "true"})
    assert provider.email not in first.content.decode()
    booking_transition(booking=booking, action="mark_paid", actor=provider)
    polled = client.get(url, headers={"HX-Request": "true", "If-None-Match": first["ETag"]}).content.decode()
    assert 'id="party-contact"' in polled and f"mailto:{provider.email}" in polled


def test_a_client_without_payment_details_is_told_to_ask_in_the_thread(client, client_user, service):
    booking = make_booking(client=client_user, service=service, to_state=State.ACCEPTED)
    html = page(client, client_user, booking)
    assert "will send you their payment details" not in html
    assert 'href="#thread">ask them in the messages</a>' in html and 'id="thread"' in html
    pay = client.get(reverse("payments:pay", args=[booking.public_id])).content.decode()
    assert f"{reverse('bookings:detail', args=[booking.public_id])}#thread" in pay
