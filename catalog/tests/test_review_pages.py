"""Provider and service pages list clients' published reviews: newest first, a page at a time,
never a blind or hidden one, in a fixed number of queries, and a change shows at once although
the rest of the page is cached."""

import pytest
from django.urls import reverse

from accounts.tests.factories import make_user
from bookings.services import review_create, review_hide, review_reply
from bookings.tests.factories import at, make_booking
from catalog import views
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db


def reviewed(service, client_user, *, rating: int, comment: str, days: int, both: bool = True):
    """A completed booking of `service` with the client's review, published when `both`."""
    booking = make_booking(client=client_user, service=service, to_state="completed", starts_at=at(days))
    review = review_create(booking=booking, author=client_user, rating=rating, comment=comment)
    if both:
        review_create(booking=booking, author=service.provider, rating=5, comment="Lovely client")
    review.refresh_from_db()
    return review


@pytest.fixture
def band(provider):
    return make_service(provider, title="Soul band")


def test_no_reviews_yet(client, provider, band):
    for url in (
        reverse("catalog:provider", args=[provider.public_id]),
        reverse("catalog:service", args=[band.public_id]),
    ):
        page = client.get(url).content.decode()
        assert "No reviews yet." in page


def test_published_reviews_newest_first_with_name_stars_category_and_reply(client, provider, band, client_user):
    reviewed(band, client_user, rating=5, comment="First gig, superb", days=30)
    newer = reviewed(band, client_user, rating=3, comment="Second gig, late", days=31)
    reviewed(band, client_user, rating=1, comment="Still blind", days=32, both=False)
    review_reply(review=newer, author=provider, reply="Sorry, the van broke down.")
    page = client.get(reverse("catalog:provider", args=[provider.public_id])).content.decode()
    assert page.index("Second gig, late") < page.index("First gig, superb")
    assert "Still blind" not in page and "Lovely client" not in page  # the provider's review of a client: not here
    assert "Carla C." in page and "Carla Client" not in page
    assert 'aria-label="3 out of 5 stars"' in page and 'aria-label="5 out of 5 stars"' in page
    assert band.category.name in page
    assert "Reply from Pete Provider" in page and "Sorry, the van broke down." in page
    assert "(2 reviews)" in page  # the head: published only
    assert "4.0" in page


def test_the_service_page_lists_that_service_s_reviews(client, provider, band, client_user):
    other = make_service(provider, title="Jazz trio")
    reviewed(band, client_user, rating=5, comment="The soul band rocked", days=30)
    reviewed(other, client_user, rating=4, comment="The trio was smooth", days=31)
    page = client.get(reverse("catalog:service", args=[band.public_id])).content.decode()
    assert "The soul band rocked" in page and "The trio was smooth" not in page
    assert "Reviews of this service" in page


def test_reviews_are_paginated(client, provider, band, client_user, monkeypatch):
    monkeypatch.setattr(views, "REVIEWS_PER_PAGE", 2)
    for i in range(5):
        reviewed(band, client_user, rating=4, comment=f"Gig number {i}", days=30 + i)
    url = reverse("catalog:provider", args=[provider.public_id])
    first = client.get(url).content.decode()
    assert "Gig number 4" in first and "Gig number 3" in first and "Gig number 2" not in first
    assert "Page 1 of 3" in first and "?reviews_page=2#reviews" in first
    third = client.get(url, {"reviews_page": 3}).content.decode()
    assert "Gig number 0" in third and "Gig number 1" not in third
    assert "Gig number 0" in client.get(url, {"reviews_page": "999"}).content.decode()  # past the end: the last
    assert "Gig number 4" in client.get(url, {"reviews_page": "x"}).content.decode()  # nonsense: the first
    service_page = client.get(reverse("catalog:service", args=[band.public_id]), {"reviews_page": 2, "date": "bad"})
    assert service_page.status_code == 200 and "Gig number 2" in service_page.content.decode()


def test_the_pages_cost_the_same_queries_with_2_or_6_reviews(
    client, provider, band, client_user, django_assert_num_queries
):
    provider_url = reverse("catalog:provider", args=[provider.public_id])
    service_url = reverse("catalog:service", args=[band.public_id])
    dora = make_user("dora@example.com", "Dora Dancer")
    for i, who in enumerate([client_user, dora]):
        reviewed(band, who, rating=4, comment=f"Review {i}", days=30 + i)
    client.get(provider_url), client.get(service_url)  # rendered once, then from the process's cache
    # provider, busy days and dates off, rules and weekdays, photos, services; the reviews' count and
    # their page (authors, services, categories)
    with django_assert_num_queries(7):
        client.get(provider_url)
    with django_assert_num_queries(4):  # the service with its provider, the first photo; the reviews' count and page
        client.get(service_url)
    for i in range(4):
        reviewed(band, dora, rating=5, comment=f"More {i}", days=40 + i)
    client.get(provider_url), client.get(service_url)  # the rating changed: rendered again once
    with django_assert_num_queries(7):
        assert "More 3" in client.get(provider_url).content.decode()
    with django_assert_num_queries(4):
        assert "More 3" in client.get(service_url).content.decode()


def test_a_new_review_a_reply_and_a_hidden_review_show_at_once(client, provider, band, client_user, staff_user):
    urls = [reverse("catalog:provider", args=[provider.public_id]), reverse("catalog:service", args=[band.public_id])]
    first = reviewed(band, client_user, rating=5, comment="Wonderful", days=30)
    for url in urls:
        assert "Wonderful" in client.get(url).content.decode()  # and the page is now cached

    booking = make_booking(client=client_user, service=band, to_state="completed", starts_at=at(31))
    review_create(booking=booking, author=client_user, rating=5, comment="Again wonderful")
    for url in urls:
        assert "Again wonderful" not in client.get(url).content.decode()  # blind
    review_create(booking=booking, author=provider, rating=5)
    for url in urls:
        assert "Again wonderful" in client.get(url).content.decode()

    review_reply(review=first, author=provider, reply="Thank you both!")
    for url in urls:
        assert "Thank you both!" in client.get(url).content.decode()

    review_hide(review=first, staff=staff_user, reason="Off topic")
    for url in urls:
        page = client.get(url).content.decode()
        assert "Wonderful" not in page and "Thank you both!" not in page
        assert "(1 review)" in page  # the heads count published, unhidden reviews
