"""The calendar-import page (/dashboard/calendar-import/) and GET/PUT/DELETE /api/me/calendar-import."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import auth, session_queries
from calendars.models import BusyImport, ImportedBusy
from calendars.services import busy_import_refresh, busy_import_save
from calendars.tests.helpers import all_day, ics_of, timed
from gigsta.tests.helpers import tasks_due, tasks_run

PAGE = "/dashboard/calendar-import/"
API = "/api/me/calendar-import"


@pytest.fixture
def my_calendar(provider, service, feed_server):
    """A calendar with a 19:00-21:00 evening in 3 days and a two-day trip in 5, read by the worker."""
    from bookings.tests.factories import at

    feed_server.bodies["/me.ics"] = ics_of(
        timed("gig@example.com", at(3, 19), at(3, 21)), all_day("trip@example.com", at(5).date(), days=2)
    )
    busy_import_save(provider=provider, url=feed_server.url("/me.ics"))
    tasks_run()
    return feed_server


def test_the_dashboard_links_to_the_page(client, provider):
    client.force_login(provider)
    response = client.get(reverse("catalog:dashboard"))
    assert f'href="{PAGE}"' in response.content.decode()


def test_the_page_invites_a_provider_to_add_a_calendar(client, provider):
    client.force_login(provider)
    response = client.get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Add your calendar" in body and 'data-testid="import-status"' not in body


def test_clients_may_not_import(client, client_user):
    client.force_login(client_user)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"url": "https://example.com/cal.ics"}).status_code == 403
    assert not BusyImport.objects.exists()


def test_the_page_shows_what_the_read_found(client, provider, my_calendar, django_assert_num_queries, settings):
    client.force_login(provider)
    # user, the import, the time zone, the next busy times, the unread count (+ the session)
    with django_assert_num_queries(5 + session_queries(settings)):
        response = client.get(PAGE)
    body = response.content.decode()
    assert '<dd data-testid="event-count">2 in the next 180 days</dd>' in body
    assert body.count('data-testid="busy-time"') == 2
    from bookings.tests.factories import at

    assert f"{at(3, 19):%a %-d %b %Y}, 19:00</time> to <time" in body and ">21:00</time>" in body
    trip = at(5).date()
    assert f'{trip:%a %-d %b %Y}</time> to <time datetime="{trip + dt.timedelta(days=1):%Y-%m-%d}">' in body
    assert "all day" in body and "Europe/Berlin" in body
    assert 'data-testid="import-error"' not in body


def test_a_posted_address_is_saved_and_read_in_the_background(client, provider, service, feed_server):
    feed_server.bodies["/me.ics"] = ics_of()
    client.force_login(provider)
    response = client.post(PAGE, {"url": feed_server.url("/me.ics")})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert tasks_due().count() == 1
    body = client.get(PAGE).content.decode()
    assert "Waiting for the first read of your calendar" in body
    tasks_run()
    body = client.get(PAGE).content.decode()
    assert "Nothing in your calendar makes you busy in the next 180 days." in body


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.com/cal.ics", "Use an http:// or https:// address."),
        ("http://10.0.0.7/cal.ics", "The address points to a private network."),
    ],
)
def test_a_bad_address_is_a_form_error(client, provider, url, message):
    client.force_login(provider)
    response = client.post(PAGE, {"url": url})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BusyImport.objects.exists() and not tasks_due().exists()


def test_the_page_says_what_is_wrong_with_the_feed_and_what_is_kept(client, provider, my_calendar):
    busy_import = BusyImport.objects.get(provider=provider)
    my_calendar.routes["/me.ics"] = "/huge"
    busy_import_refresh(import_id=busy_import.pk, now=busy_import.last_fetched_at + dt.timedelta(minutes=15))
    client.force_login(provider)
    body = client.get(PAGE).content.decode()
    assert "The calendar is larger than 2 MB." in body
    assert "GigSta keeps the busy times it read on" in body
    assert body.count('data-testid="busy-time"') == 2


def test_removing_the_calendar(client, provider, my_calendar):
    client.force_login(provider)
    response = client.post(reverse("calendars:import-remove"))
    assert response.status_code == 302
    assert not BusyImport.objects.exists() and not ImportedBusy.objects.exists()
    assert "Add your calendar" in client.get(PAGE).content.decode()


# --- API ---------------------------------------------------------------------------------------


def test_api_get_before_any_import_is_404(client, provider):
    response = client.get(API, headers=auth(provider))
    assert response.status_code == 404
    assert response.json() == {
        "detail": "You have no calendar import: PUT your calendar's address first.",
        "code": "not_found",
    }


def test_api_put_then_get(client, provider, service, my_calendar):
    response = client.get(API, headers=auth(provider))
    assert response.status_code == 200
    data = response.json()
    assert data["event_count"] == 2 and data["last_error"] is None and data["time_zone"] == "Europe/Berlin"
    assert data["upcoming"][1]["all_day"] is True
    assert data["upcoming"][1]["starts_at"].endswith("T00:00:00+01:00")
    url = my_calendar.url("/feeds/berlin-weekly.ics")
    response = client.put(API, {"url": url}, content_type="application/json", headers=auth(provider))
    assert response.status_code == 200 and response.json()["url"] == url
    tasks_run()
    assert client.get(API, headers=auth(provider)).json()["event_count"] >= 25


def test_api_reports_what_is_wrong_with_the_feed(client, provider, service, feed_server):
    response = client.put(
        API, {"url": feed_server.url("/loop")}, content_type="application/json", headers=auth(provider)
    )
    assert response.status_code == 200
    tasks_run()
    data = client.get(API, headers=auth(provider)).json()
    assert (data["last_error"], data["last_error_code"]) == ("Too many redirects.", "too_many_redirects")
    assert data["last_ok_at"] is None and data["event_count"] == 0


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"url": "ftp://example.com/c.ics"}, "url", "Use an http:// or https:// address."),
        ({"url": "http://127.0.0.1/c.ics"}, "url", "The address points to a private network."),
        ({"url": None}, "url", None),
        ({"url": "https://example.com/\x00"}, "url", None),
        ({}, "url", None),
    ],
)
def test_api_put_refuses_bad_input_with_422(client, provider, body, field, message):
    response = client.put(API, body, content_type="application/json", headers=auth(provider))
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "validation_error" and data["errors"][0]["field"] == field
    if message:
        assert data["errors"][0]["message"] == message
    assert not BusyImport.objects.exists()


def test_api_is_for_providers(client, client_user):
    assert client.get(API, headers=auth(client_user)).status_code == 403
    response = client.put(
        API, {"url": "https://example.com/c.ics"}, content_type="application/json", headers=auth(client_user)
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert client.delete(API, headers=auth(client_user)).status_code == 403


def test_api_needs_credentials(client):
    assert client.get(API).status_code == 401
    assert client.put(API, {"url": "https://example.com/c.ics"}, content_type="application/json").status_code == 401


def test_api_delete(client, provider, my_calendar):
    assert client.delete(API, headers=auth(provider)).status_code == 204
    assert not ImportedBusy.objects.exists()
    response = client.delete(API, headers=auth(provider))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
