"""The search page says which place a bare city name was read as, and the address bar htmx
pushes carries only the filters asked."""

import pytest
from django.urls import reverse

from catalog.gazetteer import city_namesakes, city_resolve
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db


def _note(client, city: str) -> str:
    html = client.get(reverse("catalog:search"), {"city": city}).content.decode()
    return html.split('data-testid="place-note"')[1].split("</p>")[0]


def test_a_bare_name_says_which_city_it_was_read_as(client, provider):
    make_service(provider, city="Berlin, Germany")
    assert "Showing results near <strong>Atlantis, South Africa</strong>." in _note(client, "Atlantis")


def test_a_bare_name_with_namesakes_offers_the_others(client, provider):
    make_service(provider, city="Berlin, Germany")
    chosen = city_resolve("Valencia")
    others = city_namesakes(chosen)
    assert "Valencia, Spain" in [other.label for other in others]
    note = _note(client, "valencia")
    assert f"Showing results near <strong>{chosen.label}</strong>" in note
    offered = note.split("Another place?")[1]
    assert all(other.label in offered for other in others) and chosen.label not in offered
    assert "city=Valencia%2C+Spain" in offered


def test_a_full_label_needs_no_note(client, provider):
    make_service(provider, city="Berlin, Germany")
    html = client.get(reverse("catalog:search"), {"city": "Berlin, Germany"}).content.decode()
    assert 'data-testid="place-note"' not in html


def test_htmx_pushes_the_url_without_empty_filters(client, provider):
    make_service(provider, city="Berlin, Germany")
    params = {"q": "band", "category": "", "city": "", "radius_km": "", "date": "", "min_price": "", "sort": ""}
    response = client.get(reverse("catalog:search"), params, headers={"HX-Request": "true"})
    assert response["HX-Push-Url"] == reverse("catalog:search") + "?q=band"
    empty = client.get(reverse("catalog:search"), {"q": " ", "city": ""}, headers={"HX-Request": "true"})
    assert empty["HX-Push-Url"] == reverse("catalog:search")
