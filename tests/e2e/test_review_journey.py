"""The review form arrives on the booking page as soon as the booking is completed (the card's
poll brings it, no reload); a review posted from it is blind until the other party reviews."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Review
from bookings.services import booking_transition
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_review_form_appears_when_the_gig_is_completed_elsewhere(page: Page, live_server, screenshot):
    provider = make_user("pete@example.com", "Pete Provider", role="provider")
    client = make_user("carla@example.com", "Carla Client")
    service = make_service(provider, title="Soul band for weddings", city="Berlin, Germany")
    booking = make_booking(
        client=client, service=service, to_state="confirmed", starts_at=timezone.now() + dt.timedelta(days=30)
    )
    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(f"{live_server.url}/bookings/{booking.public_id}/")
    expect(page.get_by_test_id("booking-state")).to_have_text("confirmed")
    expect(page.get_by_test_id("review-form")).to_have_count(0)

    # The provider marks the gig completed elsewhere: the card's next poll brings the form.
    booking_transition(
        booking=booking, action="complete", actor=provider, now=booking.starts_at + dt.timedelta(hours=1)
    )
    expect(page.get_by_test_id("booking-state")).to_have_text("completed", timeout=12_000)
    form = page.get_by_test_id("review-form")
    expect(form).to_be_visible()
    expect(page.get_by_test_id("review-blind-rule")).to_contain_text("Pete Provider reads yours once")
    screenshot("review-form")

    form.get_by_label("Your rating").select_option("4")
    form.get_by_label("Your review").fill("Great band, packed dance floor.")
    form.get_by_role("button", name="Post review").click()
    expect(page.get_by_test_id("review-blind")).to_contain_text(
        "Your review will be published when Pete Provider has reviewed or on"
    )
    expect(page.get_by_test_id("review-form")).to_have_count(0)
    review = Review.objects.get(booking=booking)
    assert (review.rating, review.comment, review.published_at) == (4, "Great band, packed dance floor.", None)
