import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_explains_gigsta_to_a_visitor(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # the categories
        response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "how-it-works" in html
    assert reverse("account_signup") in html
    assert "Live music" in html  # categories from the data migration
    assert 'data-testid="nav-user"' not in html


def test_base_layout_loads_vendored_htmx_and_sets_csrf_header_once(client):
    html = client.get(reverse("home")).content.decode()
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in html
    assert html.count("X-CSRFToken") == 1
    assert "<script>" not in html  # no inline scripts


def test_nav_fits_the_role(client, client_user, provider, staff_user):
    client.force_login(client_user)
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="nav-role"' in html and "Carla Client" in html
    assert reverse("admin:index") not in html

    client.force_login(provider)
    html = client.get(reverse("home")).content.decode()
    assert "Provider profile" in html

    client.force_login(staff_user)
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()


def test_friendly_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert reverse("home") in html
    assert "GigSta" in html


def test_friendly_500_page_needs_no_database(rf):
    from gigsta.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert "GigSta" in response.content.decode()


def test_friendly_403_page(rf, client_user):
    from gigsta.views import error_403

    request = rf.get("/")
    request.user = client_user
    response = error_403(request)
    assert response.status_code == 403


def test_csrf_is_enforced_on_forms():
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("account_login"), {"login": "a@b.c", "password": "x"})
    assert response.status_code == 403
