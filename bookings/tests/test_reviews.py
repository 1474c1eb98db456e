import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.services import api_token_create
from accounts.tests.factories import make_user
from bookings.models import Review
from bookings.services import ReviewNotAllowed, booking_request, booking_transition, review_create
from bookings.tests.factories import at

pytestmark = pytest.mark.django_db


def complete(booking, provider):
    booking_transition(booking=booking, action="accept", actor=provider)
    booking_transition(booking=booking, action="mark_paid", actor=provider)
    booking_transition(
        booking=booking, action="complete", actor=provider, now=booking.starts_at + dt.timedelta(hours=1)
    )
    booking.refresh_from_db()
    return booking


def test_each_party_reviews_once_and_the_provider_rating_follows(booking, provider, client_user, service):
    complete(booking, provider)
    review_create(booking=booking, author=client_user, rating=5, comment="Packed dance floor!")
    review_create(booking=booking, author=provider, rating=4, comment="Lovely hosts.")
    provider.provider_profile.refresh_from_db()
    assert (provider.provider_profile.rating_avg, provider.provider_profile.rating_count) == (Decimal("5.00"), 1)

    second_client = make_user("dora@example.com", "Dora")
    other = complete(booking_request(client=second_client, service=service, starts_at=at(50), venue="Barn"), provider)
    review_create(booking=other, author=second_client, rating=2)
    provider.provider_profile.refresh_from_db()
    assert (provider.provider_profile.rating_avg, provider.provider_profile.rating_count) == (Decimal("3.50"), 2)
    with pytest.raises(ReviewNotAllowed):
        review_create(booking=booking, author=client_user, rating=1)
    assert Review.objects.count() == 3


def test_no_review_before_completion(booking, client_user):
    with pytest.raises(ReviewNotAllowed):
        review_create(booking=booking, author=client_user, rating=5)
    assert not Review.objects.exists()


def test_strangers_and_bad_ratings_are_refused(booking, provider, client_user, stranger):
    complete(booking, provider)
    with pytest.raises(PermissionDenied):
        review_create(booking=booking, author=stranger, rating=5)
    for rating in (0, 6):
        with pytest.raises(ValidationError):
            review_create(booking=booking, author=client_user, rating=rating)
    assert not Review.objects.exists()


def test_review_api(client, booking, provider, client_user, stranger):
    url = reverse("api:booking_review_api", args=[booking.public_id])

    def post(user, body):
        _, secret = api_token_create(user=user, name="t")
        return client.post(
            url, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {secret}"}
        )

    assert post(client_user, {"rating": 5}).json()["code"] == "review_not_allowed"  # 409: not completed
    complete(booking, provider)
    assert post(client_user, {"rating": 9}).status_code == 422
    assert post(stranger, {"rating": 5}).status_code == 404
    response = post(client_user, {"rating": 5, "comment": "Brilliant"})
    assert response.status_code == 201
    assert response.json()["subject"]["display_name"] == "Pete Provider"
    assert post(client_user, {"rating": 4}).status_code == 409
