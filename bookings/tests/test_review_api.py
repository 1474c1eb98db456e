"""GET /api/providers/{id}/reviews: a provider's published reviews, newest first, paginated like
every list of the API; blind and hidden reviews are not there. POST …/reviews says when a review
is published."""

import pytest
from django.urls import reverse

from accounts.tests.factories import auth, make_user, post
from bookings.services import review_create, review_hide, review_reply
from bookings.tests.factories import at, make_booking

pytestmark = pytest.mark.django_db


def url(provider) -> str:
    return reverse("api:provider_reviews_api", args=[provider.public_id])


def reviewed(service, client_user, *, rating, comment, days, both=True):
    booking = make_booking(client=client_user, service=service, to_state="completed", starts_at=at(days))
    review = review_create(booking=booking, author=client_user, rating=rating, comment=comment)
    if both:
        review_create(booking=booking, author=service.provider, rating=5)
    review.refresh_from_db()
    return review


def test_published_reviews_newest_first_with_replies(client, provider, client_user, service, staff_user):
    old = reviewed(service, client_user, rating=5, comment="Old", days=30)
    new = reviewed(service, client_user, rating=3, comment="New", days=31)
    reviewed(service, client_user, rating=1, comment="Blind", days=32, both=False)
    hidden = reviewed(service, client_user, rating=1, comment="Hidden", days=33)
    review_hide(review=hidden, staff=staff_user, reason="Abuse")
    review_reply(review=old, author=provider, reply="Thanks!")

    body = client.get(url(provider)).json()  # public: no credentials
    assert body["count"] == 2 and (body["page"], body["page_size"]) == (1, 20)
    first, second = body["items"]
    assert [first["comment"], second["comment"]] == ["New", "Old"]
    assert first["id"] == new.pk and first["reply"] is None
    assert first["author"] == {"display_name": "Carla C."}
    assert first["service"] == {"id": str(service.public_id), "title": service.title}
    assert first["category"] == {"slug": service.category.slug, "name": service.category.name}
    assert first["rating"] == 3 and first["published_at"]
    assert second["reply"]["text"] == "Thanks!" and second["reply"]["created_at"]

    page_two = client.get(url(provider), {"page": 2, "page_size": 1}).json()
    assert page_two["count"] == 2 and [i["comment"] for i in page_two["items"]] == ["Old"]


def test_bad_pages_and_unknown_providers(client, provider, client_user):
    assert client.get(url(provider), {"page": 0}).status_code == 422
    assert client.get(url(provider), {"page_size": 101}).status_code == 422
    response = client.get(url(client_user))  # a client is not a provider
    assert response.status_code == 404 and "detail" in response.json()
    assert client.get(url(provider)).json() == {"items": [], "count": 0, "page": 1, "page_size": 20}


def test_the_list_costs_the_same_with_1_or_5_reviews(client, provider, client_user, service, django_assert_num_queries):
    dora = make_user("dora@example.com", "Dora Dancer")
    reviewed(service, dora, rating=4, comment="One", days=30)
    with django_assert_num_queries(3):  # the provider, the page (with authors, services, categories), the count
        client.get(url(provider))
    for i in range(4):
        reviewed(service, client_user, rating=5, comment=f"More {i}", days=40 + i)
    with django_assert_num_queries(3):
        assert client.get(url(provider)).json()["count"] == 5


def test_a_posted_review_says_whether_it_is_published(client, provider, client_user, service):
    booking = make_booking(client=client_user, service=service, to_state="completed")
    path = reverse("api:booking_review_api", args=[booking.public_id])
    first = post(client, path, {"rating": 4, "comment": "Good"}, client_user)
    assert first.status_code == 201 and first.json()["published_at"] is None
    second = post(client, path, {"rating": 5}, provider)
    assert second.status_code == 201 and second.json()["published_at"] is not None
    assert client.get(url(provider), headers=auth(client_user)).json()["count"] == 1


def test_the_reviewed_party_replies_once_through_the_api(client, provider, client_user, service, stranger):
    booking = make_booking(client=client_user, service=service, to_state="completed")
    review = review_create(booking=booking, author=client_user, rating=4, comment="Good")
    path = reverse("api:booking_review_reply_api", args=[booking.public_id, review.pk])
    assert post(client, path, {"reply": "Thanks"}, provider).status_code == 404  # blind: not theirs to read yet
    review_create(booking=booking, author=provider, rating=5)
    assert post(client, path, {"reply": ""}, provider).status_code == 422
    assert post(client, path, {"reply": "x" * 1001}, provider).status_code == 422
    assert post(client, path, {"reply": "Me"}, client_user).json()["code"] == "permission_denied"
    assert post(client, path, {"reply": "Hi"}, stranger).status_code == 404
    answer = post(client, path, {"reply": "Thank you, Carla!"}, provider)
    assert answer.status_code == 200
    assert (answer.json()["reply"], answer.json()["replied_at"] is not None) == ("Thank you, Carla!", True)
    again = post(client, path, {"reply": "Again"}, provider)
    assert (again.status_code, again.json()["code"]) == (409, "review_not_allowed")
    listed = client.get(url(provider)).json()["items"][0]
    assert listed["reply"]["text"] == "Thank you, Carla!"
