"""Saving services and providers, the saved page, and one request sent to several at once."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from bookings.models import Booking
from bookings.tests.factories import make_booking
from catalog.services import busy_day_block, service_set_active
from catalog.tests.factories import make_service
from favourites.models import Favourite
from favourites.selectors import favourites_of
from favourites.services import MAX_GROUP_REQUEST, favourite_add, favourite_remove, favourites_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def band(provider):
    return make_service(provider, title="Soul band for weddings", city="Berlin, Germany", price_minor=150000)


@pytest.fixture
def dj(db):
    other = make_user("nova@example.com", "DJ Nova", role=Role.PROVIDER)
    return make_service(other, title="Party DJ", city="Berlin, Germany", price_minor=60000)


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def test_saving_twice_keeps_one_and_removing_forgets(client_user, band):
    first = favourite_add(user=client_user, service=band)
    assert favourite_add(user=client_user, service=band) == first
    assert Favourite.objects.count() == 1
    assert favourite_remove(user=client_user, service=band) is True
    assert favourite_remove(user=client_user, service=band) is False


def test_only_clients_save_and_only_providers_are_saved(provider, client_user, band):
    with pytest.raises(PermissionDenied):
        favourite_add(user=provider, service=band)
    with pytest.raises(PermissionDenied):
        favourite_add(user=client_user, provider=make_user("x@example.com", "Another Client"))


def test_the_save_button_on_service_and_provider_pages(client, client_user, band, provider):
    service_url = reverse("catalog:service", args=[band.public_id])
    visitor = client.get(service_url).content.decode()
    assert f'href="{reverse("account_login")}?next={service_url}"' in visitor  # log in first
    client.force_login(client_user)
    html = client.get(service_url).content.decode()
    assert 'aria-pressed="false"' in html and "Save<span" in html
    response = client.post(reverse("favourites:service", args=[band.public_id]), {"save": "yes", "next": service_url})
    assert response.status_code == 302 and response["Location"] == service_url
    assert 'aria-pressed="true"' in client.get(service_url).content.decode()
    # htmx swaps the button alone
    answer = client.post(
        reverse("favourites:provider", args=[provider.public_id]), {"save": "yes"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in answer.content.decode() and 'aria-pressed="true"' in answer.content.decode()
    assert Favourite.objects.filter(user=client_user, provider=provider).exists()


def test_a_provider_gets_no_save_button_and_cannot_save(client, provider, band):
    client.force_login(make_user("olga@example.com", "Olga", role=Role.PROVIDER))
    assert (
        'data-testid="save-toggle"'
        not in client.get(reverse("catalog:service", args=[band.public_id])).content.decode()
    )
    response = client.post(reverse("favourites:service", args=[band.public_id]), {"save": "yes"})
    assert response.status_code == 403
    assert client.get(reverse("favourites:list")).status_code == 403


def test_an_unsafe_next_is_ignored(client, client_user, band):
    client.force_login(client_user)
    response = client.post(
        reverse("favourites:service", args=[band.public_id]), {"save": "yes", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/services/{band.public_id}/"


def test_saved_page_lists_what_is_still_listed_in_few_queries(
    client, client_user, band, dj, provider, django_assert_max_num_queries
):
    favourite_add(user=client_user, service=band)
    favourite_add(user=client_user, service=dj)
    favourite_add(user=client_user, provider=provider)
    service_set_active(service=dj, actor=dj.provider, is_active=False)
    client.force_login(client_user)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("favourites:list")).content.decode()
    assert "Soul band for weddings" in html and "Party DJ" not in html
    providers = html.split('data-testid="saved-providers"')[1]
    assert "Pete Provider" in providers and "Soul band for weddings" in providers
    assert "1 saved item is no longer listed" in html
    saved = favourites_of(user=client_user)
    assert [s.title for s in saved.services] == ["Soul band for weddings"] and saved.gone == 1


def test_empty_saved_page_says_how_to_save(client, client_user):
    client.force_login(client_user)
    html = client.get(reverse("favourites:list")).content.decode()
    assert 'data-testid="no-saved-services"' in html and 'data-testid="no-saved-providers"' in html


def test_one_request_to_several_makes_a_booking_each(client, client_user, band, dj):
    favourite_add(user=client_user, service=band)
    favourite_add(user=client_user, service=dj)
    client.force_login(client_user)
    day = in_days(40)
    response = client.post(
        reverse("favourites:request"),
        {
            "services": [str(band.public_id), str(dj.public_id)],
            "date": day.isoformat(),
            "start_time": "19:00",
            "venue": "Villa Rosa, Potsdam",
            "message": "Summer party",
        },
    )
    assert response.status_code == 200
    bookings = Booking.objects.order_by("price_minor")
    assert [(b.service, b.client, b.venue, b.message) for b in bookings] == [
        (dj, client_user, "Villa Rosa, Potsdam", "Summer party"),
        (band, client_user, "Villa Rosa, Potsdam", "Summer party"),
    ]
    assert {b.starts_at.astimezone(timezone.get_current_timezone()).time().hour for b in bookings} == {19}
    sent = response.content.decode().split('data-testid="sent"')[1]
    assert sent.count("<strong>Sent</strong>") == 2


def test_one_refused_does_not_stop_the_others(client_user, band, dj):
    day = in_days(40)
    busy_day_block(provider=dj.provider, start=day)
    sent = favourites_request(
        client=client_user, services=[band, dj], date=day, start_time=dt.time(19), venue="Villa Rosa"
    )
    assert sent[0].booking is not None and sent[1].booking is None
    assert "not available that day" in sent[1].problem
    assert Booking.objects.count() == 1


def test_group_request_bad_input_writes_nothing(client, client_user, band, dj):
    favourite_add(user=client_user, service=band)
    client.force_login(client_user)
    response = client.post(reverse("favourites:request"), {"date": "yesterday", "venue": ""})
    assert response.status_code == 422
    form = response.context["form"]
    assert {"services", "date", "start_time", "venue"} <= set(form.errors)
    # a service that was not saved cannot be slipped in
    response = client.post(
        reverse("favourites:request"),
        {"services": [str(dj.public_id)], "date": in_days(5).isoformat(), "start_time": "19:00", "venue": "Here"},
    )
    assert response.status_code == 422 and "services" in response.context["form"].errors
    assert Booking.objects.count() == 0


def test_group_request_limits(client_user, band):
    with pytest.raises(ValidationError, match="at least one"):
        favourites_request(client=client_user, services=[], date=in_days(5), start_time=dt.time(19), venue="Here")
    with pytest.raises(ValidationError, match=f"at most {MAX_GROUP_REQUEST}"):
        favourites_request(
            client=client_user,
            services=[band] * (MAX_GROUP_REQUEST + 1),
            date=in_days(5),
            start_time=dt.time(19),
            venue="Here",
        )
    london = make_service(band.provider, title="London gig", city="London, United Kingdom")
    with pytest.raises(ValidationError, match="different local times"):
        favourites_request(
            client=client_user, services=[band, london], date=in_days(5), start_time=dt.time(19), venue="Here"
        )
    assert Booking.objects.count() == 0


def test_a_past_start_is_refused_per_service(client_user, band):
    sent = favourites_request(
        client=client_user, services=[band], date=timezone.localdate(), start_time=dt.time(0, 1), venue="Here"
    )
    assert sent[0].booking is None and "future" in sent[0].problem


def test_bookings_still_show_saved_pages_to_clients_with_bookings(client, client_user, band):
    make_booking(client=client_user, service=band)
    favourite_add(user=client_user, service=band)
    client.force_login(client_user)
    assert client.get(reverse("favourites:list")).status_code == 200
