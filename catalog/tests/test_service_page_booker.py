"""Who sees the Book button on a service page, and what the others are told instead."""

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import make_user
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db


def page(client, service) -> str:
    return client.get(reverse("catalog:service", args=[service.public_id])).content.decode()


def test_visitors_and_clients_get_the_book_button(client, provider, client_user):
    service = make_service(provider)
    assert 'data-testid="book"' in page(client, service)
    client.force_login(client_user)
    html = page(client, service)
    assert 'data-testid="book"' in html and 'data-testid="not-bookable"' not in html


def test_another_provider_is_told_why_there_is_no_button(client, provider):
    service = make_service(provider)
    other = make_user("olga@example.com", "Olga Other", role=Role.PROVIDER)
    client.force_login(other)
    html = page(client, service)
    assert 'data-testid="book"' not in html
    reason = html.split('data-testid="not-bookable"')[1].split("</div>")[0]
    assert "bookings are made from client accounts" in reason and reverse("accounts:profile") in reason


def test_the_owner_is_offered_to_edit_instead(client, provider):
    service = make_service(provider)
    client.force_login(provider)
    html = page(client, service)
    reason = html.split('data-testid="not-bookable"')[1].split("</div>")[0]
    assert "This is your service" in reason
    assert reverse("catalog:service-edit", args=[service.public_id]) in reason
    # The page main block is cached by what it shows: the owner's version is not served to others.
    client.logout()
    assert 'data-testid="book"' in page(client, service)
