"""catalog.models.Listing follows every write that changes what search may show."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.services import user_set_active, user_update_profile
from accounts.tests.factories import make_user
from bookings.services import review_create
from bookings.tests.factories import make_booking
from catalog.models import Listing, Service
from catalog.search_sql import words_match
from catalog.services import service_set_active, service_update
from catalog.tests.factories import make_service, service_data

pytestmark = pytest.mark.django_db


def assert_listed_as_it_is(service: Service) -> None:
    service = Service.objects.select_related("provider__provider_profile").get(pk=service.pk)
    listing = Listing.objects.get(pk=service.pk)
    profile = service.provider.provider_profile
    assert (listing.provider_id, listing.category_id, listing.title, listing.price_minor) == (
        service.provider_id,
        service.category_id,
        service.title,
        service.price_minor,
    )
    assert (listing.rating_avg, listing.rating_count) == (profile.rating_avg, profile.rating_count)
    assert (listing.latitude, listing.longitude, listing.created_at) == (
        service.latitude,
        service.longitude,
        service.created_at,
    )


def found_by(*words: str) -> set[int]:
    return set(Listing.objects.filter(words_match(list(words))).values_list("pk", flat=True))


def test_a_new_service_is_listed_with_its_words(provider):
    service = make_service(provider, title="Swing quartet", price_minor=120000)
    assert_listed_as_it_is(service)
    assert found_by("swing", "quart") == {service.pk}


def test_an_edit_rewrites_the_listing_and_its_words(provider):
    service = make_service(provider, title="Swing quartet")
    data = service_data(
        title="Tango duo", description="Milonga nights.", category="dj", price_minor=99000, city="Munich, Germany"
    )
    service_update(service=service, actor=provider, data=data)
    assert_listed_as_it_is(service)
    assert found_by("tango", "milonga") == {service.pk}
    assert not found_by("swing")


def test_a_paused_service_leaves_search_and_comes_back(provider):
    service = make_service(provider)
    service_set_active(service=service, actor=provider, is_active=False)
    assert not Listing.objects.filter(pk=service.pk).exists()
    service_set_active(service=service, actor=provider, is_active=True)
    assert_listed_as_it_is(service)


def test_a_renamed_provider_is_found_by_the_new_name(provider):
    service = make_service(provider)
    user_update_profile(user=provider, display_name="Rosa Rhythm")
    assert found_by("rosa", "rhythm") == {service.pk}
    assert not found_by("pete")


def test_a_deactivated_provider_takes_every_service_off_search(provider):
    services = [make_service(provider, title=f"Set number{i}") for i in range(3)]
    other = make_service(make_user("o@example.com", "Olga Organ", role="provider"))
    user_set_active(user=provider, is_active=False)
    assert set(Listing.objects.values_list("pk", flat=True)) == {other.pk}
    user_set_active(user=provider, is_active=True)
    for service in services:
        assert_listed_as_it_is(service)


def test_a_review_moves_the_rating_search_sorts_by(provider, client_user):
    service = make_service(provider)
    booking = make_booking(client=client_user, service=service, to_state="completed")
    review_create(booking=booking, author=client_user, rating=4)
    assert Listing.objects.get(pk=service.pk).rating_count == 0  # blind until the provider reviews too
    review_create(booking=booking, author=provider, rating=5)
    listing = Listing.objects.get(pk=service.pk)
    assert (listing.rating_avg, listing.rating_count) == (Decimal("4.00"), 1)
    assert_listed_as_it_is(service)


def test_staff_hiding_services_or_deactivating_an_account_in_the_admin(client, staff_user, provider):
    hidden, kept = make_service(provider, title="Hidden set"), make_service(provider, title="Kept set")
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:catalog_service_changelist"), {"action": "hide_from_search", "_selected_action": [hidden.pk]}
    )
    assert response.status_code == 302
    assert list(Listing.objects.values_list("pk", flat=True)) == [kept.pk]

    change = reverse("admin:accounts_user_change", args=[provider.pk])
    form = client.get(change).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "is_active": "",
            "groups": [],
            "user_permissions": [],
            "date_joined_0": provider.date_joined.date().isoformat(),
            "date_joined_1": provider.date_joined.time().strftime("%H:%M:%S"),
            "provider_profile-TOTAL_FORMS": "1",
            "provider_profile-INITIAL_FORMS": "1",
            "provider_profile-0-id": provider.provider_profile.pk,
            "provider_profile-0-user": provider.pk,
            "provider_profile-0-rating_avg": "0",
            "provider_profile-0-rating_count": "0",
        }
    )
    data.pop("is_active")
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not Listing.objects.exists()
