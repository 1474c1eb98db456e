"""Reviews on the booking page: the form arrives with the card once the booking is completed
(no reload), blind reviews say when they are published, and the reviewed party replies once."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from bookings.models import Review
from bookings.services import booking_transition, review_create, review_publish_at
from bookings.tests.factories import make_booking

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def complete(booking, provider):
    booking_transition(
        booking=booking, action="complete", actor=provider, now=booking.starts_at + dt.timedelta(hours=1)
    )


def test_the_card_s_poll_brings_the_review_form_once_the_booking_is_completed(client, client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    client.force_login(client_user)
    url = reverse("bookings:detail", args=[booking.public_id])
    before = client.get(url, headers=HTMX)
    assert before.status_code == 200
    html = before.content.decode()
    assert 'id="booking-reviews" hx-swap-oob="true"' in html and 'data-testid="review-form"' not in html

    complete(booking, provider)  # the provider completes it elsewhere
    after = client.get(url, headers={**HTMX, "If-None-Match": before["ETag"]})
    assert after.status_code == 200
    html = after.content.decode()
    assert 'id="booking-reviews" hx-swap-oob="true"' in html
    assert 'data-testid="review-form"' in html and 'name="comment"' in html
    assert "Leave your review</a> of Pete Provider." in html  # the card says so too
    assert f'action="{reverse("bookings:review", args=[booking.public_id])}"' in html


def test_completing_from_the_card_brings_the_provider_s_review_form(client, client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    booking.starts_at = timezone.now() - dt.timedelta(hours=3)  # the gig has started
    booking.ends_at = timezone.now() - dt.timedelta(hours=1)
    booking.save(update_fields=["starts_at", "ends_at"])
    client.force_login(provider)
    response = client.post(reverse("bookings:action", args=[booking.public_id, "complete"]), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="booking-state">completed' in html
    assert 'id="booking-reviews" hx-swap-oob="true"' in html and 'data-testid="review-form"' in html


def test_a_blind_review_says_when_it_is_published_and_the_subject_cannot_read_it(
    client, client_user, provider, service
):
    booking = make_booking(client=client_user, service=service, to_state="completed")
    client.force_login(client_user)
    response = client.post(
        reverse("bookings:review", args=[booking.public_id]), {"rating": "4", "comment": "Great set, late start"}
    )
    when = date_format(timezone.localtime(review_publish_at(booking)), "l j F Y")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert f"your review will be published when Pete Provider has reviewed or on {when}." in page  # the flash
    assert f"Your review will be published when Pete Provider has reviewed or on {when}." in page
    assert "Great set, late start" in page

    client.force_login(provider)
    url = reverse("bookings:detail", args=[booking.public_id])
    page = client.get(url).content.decode()
    assert "Great set, late start" not in page
    assert f"Carla Client has reviewed you. You can read it once you have posted yours, or on {when}." in page
    assert 'data-testid="review-form"' in page

    response = client.post(reverse("bookings:review", args=[booking.public_id]), {"rating": "5", "comment": "Lovely"})
    page = client.get(response["Location"]).content.decode()
    assert "your review and theirs are published" in page
    assert "Great set, late start" in page and "has reviewed you" not in page


def test_the_card_changes_when_the_other_party_reviews(client, client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="completed")
    client.force_login(client_user)
    url = reverse("bookings:detail", args=[booking.public_id])
    etag = client.get(url, headers=HTMX)["ETag"]
    assert client.get(url, headers={**HTMX, "If-None-Match": etag}).status_code == 304
    review_create(booking=booking, author=provider, rating=5, comment="Great hosts")
    changed = client.get(url, headers={**HTMX, "If-None-Match": etag})
    assert changed.status_code == 200 and "Pete Provider has reviewed you" in changed.content.decode()


def test_the_reviewed_party_replies_once_from_the_booking_page(client, client_user, provider, service, stranger):
    booking = make_booking(client=client_user, service=service, to_state="completed")
    review = review_create(booking=booking, author=client_user, rating=4, comment="Good")
    reply_url = reverse("bookings:review_reply", args=[booking.public_id, review.pk])
    client.force_login(provider)
    page = client.get(reverse("bookings:detail", args=[booking.public_id])).content.decode()
    assert 'data-testid="reply-form"' not in page  # blind: nothing to reply to yet

    review_create(booking=booking, author=provider, rating=5)
    page = client.get(reverse("bookings:detail", args=[booking.public_id])).content.decode()
    assert 'data-testid="reply-form"' in page
    response = client.post(reply_url, {"reply": ""})
    assert "This field is required." in client.get(response["Location"]).content.decode()
    response = client.post(reply_url, {"reply": "Thank you, Carla!"}, follow=True)
    page = response.content.decode()
    assert "Your reply is published under the review." in page and "Thank you, Carla!" in page
    assert 'data-testid="reply-form"' not in page
    response = client.post(reply_url, {"reply": "Again"}, follow=True)
    assert "You have already replied to this review." in response.content.decode()
    assert Review.objects.get(pk=review.pk).reply == "Thank you, Carla!"

    client.force_login(client_user)  # the author cannot answer their own review
    response = client.post(reply_url, {"reply": "Me"}, follow=True)
    assert "Only the person reviewed can reply" in response.content.decode()
    client.force_login(stranger)
    assert client.post(reply_url, {"reply": "Hi"}).status_code == 404
