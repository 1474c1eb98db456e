import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.tests.factories import make_user
from catalog.models import BusyDay, Listing, Service, ServiceKeyword
from catalog.search_sql import words_match
from catalog.services import (
    MAX_KEYWORDS,
    ServiceData,
    busy_day_block,
    busy_day_unblock,
    search_words_of,
    service_create,
    service_set_active,
    words_of,
)
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db


def test_words_of_folds_accents_case_and_repeats():
    assert words_of("Zürich Jazz-Trio, JAZZ & a 4-piece!") == ["zurich", "jazz", "trio", "piece"]


def test_search_words_of_reads_the_service_fields_in_order_up_to_the_cap():
    words = search_words_of(title="Jazz Trio", description="Swing jazz", category_name="Live music", provider_name="Al")
    assert words == ["jazz", "trio", "swing", "live", "music", "al"]

    many = " ".join(f"w{n}" for n in range(MAX_KEYWORDS + 10))
    words = search_words_of(title="Title", description=many, category_name="DJ", provider_name="Nova")
    assert len(words) == MAX_KEYWORDS and words[:2] == ["title", "w0"]


def test_service_create_indexes_words(provider):
    service = make_service(provider, title="Café Jazz Trio")
    for word in ("cafe", "jazz", "trio", "pete", "provider", "live", "music"):
        assert list(Listing.objects.filter(words_match([word])).values_list("pk", flat=True)) == [service.pk]
    assert not Listing.objects.filter(words_match(["rock"])).exists()


def test_service_create_is_all_or_nothing(provider):
    with pytest.raises(ValidationError) as exc:
        make_service(provider, category="nope", city="Nowhere-on-Sea", price_minor=5)
    assert set(exc.value.message_dict) == {"category", "city", "price_minor"}
    assert not Service.objects.exists() and not ServiceKeyword.objects.exists()


def test_clients_cannot_offer_services(client_user):
    with pytest.raises(PermissionDenied):
        make_service(client_user)


def test_only_the_owner_can_toggle(provider):
    service = make_service(provider)
    other = make_user("o@example.com", "Other", role="provider")
    with pytest.raises(PermissionDenied):
        service_set_active(service=service, actor=other, is_active=False)
    assert service_set_active(service=service, actor=provider, is_active=False).is_active is False


def test_city_resolves_coordinates_and_time_zone(provider):
    service = service_create(
        provider=provider,
        data=ServiceData(
            title="Brass band",
            description="",
            category="live-music",
            price_minor=50000,
            currency="GBP",
            duration_minutes=120,
            city="london",
        ),
    )
    assert service.city == "London, United Kingdom"
    assert service.timezone == "Europe/London" and service.country_code == "GB"
    assert round(service.latitude) == 52


def test_block_a_range_is_idempotent(provider):
    start = timezone.localdate() + dt.timedelta(days=5)
    busy_day_block(provider=provider, start=start, end=start + dt.timedelta(days=2), note="Holiday")
    busy_day_block(provider=provider, start=start + dt.timedelta(days=1), end=start + dt.timedelta(days=3))
    assert BusyDay.objects.filter(provider=provider).count() == 4


@pytest.mark.parametrize(
    ("start_offset", "end_offset", "field"),
    [(-1, None, "start"), (3, 1, "end"), (1, 400, "end")],
)
def test_block_refuses_bad_ranges(provider, start_offset, end_offset, field):
    today = timezone.localdate()
    end = today + dt.timedelta(days=end_offset) if end_offset is not None else None
    with pytest.raises(ValidationError) as exc:
        busy_day_block(provider=provider, start=today + dt.timedelta(days=start_offset), end=end)
    assert field in exc.value.message_dict
    assert not BusyDay.objects.exists()


def test_unblock_leaves_booked_days_alone(provider):
    day = timezone.localdate() + dt.timedelta(days=2)
    busy_day_block(provider=provider, start=day)
    BusyDay.objects.create(provider=provider, date=day, kind=BusyDay.Kind.BOOKING)
    assert busy_day_unblock(provider=provider, date=day) == 1
    assert list(BusyDay.objects.values_list("kind", flat=True)) == ["booking"]
