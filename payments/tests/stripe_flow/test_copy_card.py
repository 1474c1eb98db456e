"""Honest words for card bookings: GigSta holds the money, until the date the timers release it."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from gigsta.tests.helpers import tasks_run
from payments.services.payouts import payouts_release

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def page_for(client, user, booking) -> str:
    client.force_login(user)
    return text_of(client.get(reverse("bookings:detail", args=[booking.public_id])))


def test_before_paying_the_client_is_told_gigsta_will_hold_it_until_the_release_date(client, client_user, book):
    booking = book(days=20)
    until = f"{booking.payout_release_at:%-d %b %Y}"
    assert f"GigSta holds your payment until {until}, 14 days after the gig, then pays Pete Provider." in page_for(
        client, client_user, booking
    )


def test_once_paid_both_sides_read_who_holds_it_and_until_when(client, client_user, provider, book, pay, settings):
    settings.PLATFORM_FEE_PERCENT = 10
    booking = pay(book(days=20)).booking
    until = f"{booking.payout_release_at:%-d %b %Y}"
    assert f"GigSta holds your payment until {until}, then pays Pete Provider." in page_for(
        client, client_user, booking
    )
    assert f"GigSta holds Carla Client\u2019s payment and pays you €1,350 on {until}" in page_for(
        client, provider, booking
    )
    assert "does not hold" not in page_for(client, client_user, booking)
    tasks_run()
    received = [m for m in mail.outbox if "Received:" in m.body]
    assert received and f"GigSta holds it until {booking.payout_release_at:%-d %B %Y}" in received[-1].body


def test_after_the_payout_the_page_says_it_went(client, client_user, provider, book, pay, act, settings):
    settings.PLATFORM_FEE_PERCENT = 10
    booking = pay(book(days=20)).booking
    booking.refresh_from_db()
    booking = act(booking, "complete", provider, now=booking.starts_at)
    payouts_release(now=booking.payout_release_at)
    tasks_run()
    assert "GigSta paid €1,350 to your Stripe account on" in page_for(client, provider, booking)
    assert "GigSta paid Pete Provider on" in page_for(client, client_user, booking)
