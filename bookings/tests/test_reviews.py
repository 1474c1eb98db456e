import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.services import api_token_create
from accounts.tests.factories import make_user
from bookings.models import REVIEW_BLIND_DAYS, Review
from bookings.services import ReviewNotAllowed, booking_transition, review_create, reviews_publish_due
from bookings.tests.factories import at, make_booking

pytestmark = pytest.mark.django_db


def test_each_party_reviews_once_and_the_provider_rating_follows(provider, client_user, service):
    booking = make_booking(client=client_user, service=service, to_state="completed")
    review_create(booking=booking, author=client_user, rating=5, comment="Packed dance floor!")
    review_create(booking=booking, author=provider, rating=4, comment="Lovely hosts.")
    provider.provider_profile.refresh_from_db()
    assert (provider.provider_profile.rating_avg, provider.provider_profile.rating_count) == (Decimal("5.00"), 1)

    second_client = make_user("dora@example.com", "Dora")
    other = make_booking(client=second_client, service=service, to_state="completed", starts_at=at(50))
    review_create(booking=other, author=second_client, rating=2)
    provider.provider_profile.refresh_from_db()  # blind: the provider has not reviewed Dora
    assert (provider.provider_profile.rating_avg, provider.provider_profile.rating_count) == (Decimal("5.00"), 1)
    reviews_publish_due(now=timezone.now() + dt.timedelta(days=REVIEW_BLIND_DAYS, minutes=1))
    provider.provider_profile.refresh_from_db()
    assert (provider.provider_profile.rating_avg, provider.provider_profile.rating_count) == (Decimal("3.50"), 2)
    with pytest.raises(ReviewNotAllowed):
        review_create(booking=booking, author=client_user, rating=1)
    assert Review.objects.count() == 3


def test_no_review_before_completion(booking, client_user):
    with pytest.raises(ReviewNotAllowed):
        review_create(booking=booking, author=client_user, rating=5)
    assert not Review.objects.exists()


def test_strangers_and_bad_ratings_are_refused(service, client_user, stranger):
    booking = make_booking(client=client_user, service=service, to_state="completed")
    with pytest.raises(PermissionDenied):
        review_create(booking=booking, author=stranger, rating=5)
    for rating in (0, 6):
        with pytest.raises(ValidationError):
            review_create(booking=booking, author=client_user, rating=rating)
    assert not Review.objects.exists()


def test_review_api(client, service, provider, client_user, stranger):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    url = reverse("api:booking_review_api", args=[booking.public_id])

    def post(user, body):
        _, secret = api_token_create(user=user, name="t")
        return client.post(
            url, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {secret}"}
        )

    assert post(client_user, {"rating": 5}).json()["code"] == "review_not_allowed"  # 409: not completed
    booking_transition(
        booking=booking, action="complete", actor=provider, now=booking.starts_at + dt.timedelta(hours=1)
    )
    assert post(client_user, {"rating": 9}).status_code == 422
    assert post(stranger, {"rating": 5}).status_code == 404
    response = post(client_user, {"rating": 5, "comment": "Brilliant"})
    assert response.status_code == 201
    assert response.json()["subject"]["display_name"] == "Pete Provider"
    assert post(client_user, {"rating": 4}).status_code == 409
