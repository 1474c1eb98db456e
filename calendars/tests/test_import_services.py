"""Setting up, fetching and removing a provider's calendar import, through a real HTTP server
on loopback and the real task worker."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from calendars.models import BusyImport, ImportedBusy
from calendars.selectors import imported_busy
from calendars.services import busy_import_delete, busy_import_refresh, busy_import_save, busy_imports_queue_due
from calendars.tests.helpers import all_day, ics_of
from catalog.models import BusyDay
from catalog.selectors import SearchFilters, service_search
from gigsta.tests.helpers import tasks_due, tasks_run

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
MINE = "/feeds/mixed.ics"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://gigsta.test"  # mixed.ics has one of this site's bookings: not busy


def _rows(provider) -> list[tuple]:
    return list(ImportedBusy.objects.filter(provider=provider).values_list("starts_at", "ends_at", "all_day"))


def _days(provider) -> list[dt.date]:
    return list(BusyDay.objects.filter(provider=provider, kind="imported").values_list("date", flat=True))


def _imported(provider, server, path: str = MINE, now: dt.datetime = NOW) -> BusyImport:
    """The provider's import of `path`, fetched at `now` (the queued task is left to the test)."""
    busy_import = busy_import_save(provider=provider, url=server.url(path), now=now)
    assert busy_import_refresh(import_id=busy_import.pk, now=now) == "5 busy times" or path != MINE
    busy_import.refresh_from_db()
    return busy_import


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/cal.ics", "Use an http:// or https:// address."),
        ("  ", "Paste the address (URL) of your calendar's .ics feed."),
        ("my calendar", "Use an http:// or https:// address."),
        ("https://", "This is not a web address."),
        ("https://exa mple.com/cal.ics", "This is not a web address."),
        ("http://192.168.1.20/cal.ics", "The address points to a private network."),
        ("http://localhost:8000/cal.ics", "The address points to a private network."),
        ("https://example.com/" + "a" * 2000, "Keep the address under 2,000 characters."),
    ],
)
def test_a_bad_address_is_refused_at_once_and_nothing_is_queued(provider, url, message):
    with pytest.raises(ValidationError) as caught:
        busy_import_save(provider=provider, url=url)
    assert caught.value.message_dict == {"url": [message]}
    assert not BusyImport.objects.exists() and not tasks_due().exists()


def test_a_webcal_address_is_fetched_over_https(provider):
    assert busy_import_save(provider=provider, url="webcal://calendar.example.com/me.ics").url == (
        "https://calendar.example.com/me.ics"
    )


def test_clients_have_no_calendar_import(client_user):
    with pytest.raises(PermissionDenied):
        busy_import_save(provider=client_user, url="https://calendar.example.com/me.ics")


def test_saving_queues_a_fetch_that_the_worker_runs(provider, service, feed_server):
    busy_import = busy_import_save(provider=provider, url=feed_server.url("/feeds/berlin-weekly.ics"))
    assert tasks_due().count() == 1 and not _rows(provider)
    tasks_run()
    busy_import.refresh_from_db()
    assert feed_server.asked["/feeds/berlin-weekly.ics"] == 1
    assert busy_import.last_error == "" and busy_import.last_ok_at is not None
    assert busy_import.event_count == len(_rows(provider)) >= 25  # a weekly event for 180 days
    now = timezone.now()
    assert imported_busy(provider.pk, now, now + dt.timedelta(days=8))  # at least one rehearsal a week


def test_saving_again_reads_again_unless_the_last_read_still_waits(provider, service, feed_server):
    url = feed_server.url("/feeds/berlin-weekly.ics")
    busy_import_save(provider=provider, url=url)
    busy_import_save(provider=provider, url=url)  # a double submit
    assert tasks_due().count() == 1
    tasks_run()
    busy_import_save(provider=provider, url=url)  # "Save and read again"
    assert tasks_due().count() == 1
    tasks_run()
    assert feed_server.asked["/feeds/berlin-weekly.ics"] == 2


def test_a_fetch_stores_busy_times_in_utc_and_whole_days_for_search(provider, service, feed_server):
    busy_import = _imported(provider, feed_server)
    assert busy_import.event_count == 5 and busy_import.etag == '"v1"'
    assert (dt.datetime(2026, 12, 23, 23, tzinfo=dt.UTC), dt.datetime(2026, 12, 26, 23, tzinfo=dt.UTC), True) in _rows(
        provider
    )
    assert _days(provider) == [dt.date(2026, 12, 24), dt.date(2026, 12, 25), dt.date(2026, 12, 26), dt.date(2027, 1, 1)]


def test_a_whole_day_in_the_calendar_hides_the_provider_from_that_days_search(provider, service, feed_server):
    day = timezone.localdate() + dt.timedelta(days=10)
    feed_server.bodies["/feeds/away.ics"] = ics_of(all_day("away@example.com", day))
    busy_import = busy_import_save(provider=provider, url=feed_server.url("/feeds/away.ics"))
    assert service_search(SearchFilters(date=day)).count == 1
    tasks_run()
    assert BusyImport.objects.get(pk=busy_import.pk).event_count == 1
    assert service_search(SearchFilters(date=day)).count == 0  # the search cache is told too
    assert service_search(SearchFilters(date=day + dt.timedelta(days=1))).count == 1


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("/html", "This is not an iCalendar file."),
        ("/missing", "HTTP 404 from the server."),
        ("/huge", "The calendar is larger than 2 MB."),
        ("/loop", "Too many redirects."),
        ("/slow", "The server did not answer within 2 seconds."),
    ],
)
def test_a_failed_fetch_keeps_the_busy_times_and_says_why(provider, service, feed_server, route, message):
    busy_import = _imported(provider, feed_server)
    rows, days = _rows(provider), _days(provider)
    feed_server.routes[MINE] = route
    later = NOW + dt.timedelta(minutes=15)
    assert busy_import_refresh(import_id=busy_import.pk, now=later) != "5 busy times"
    busy_import.refresh_from_db()
    assert busy_import.last_error == message
    assert (busy_import.last_fetched_at, busy_import.last_ok_at) == (later, NOW)
    assert (_rows(provider), _days(provider), busy_import.event_count) == (rows, days, 5)
    # once the server is right again, the error goes
    del feed_server.routes[MINE]
    busy_import_refresh(import_id=busy_import.pk, now=later + dt.timedelta(minutes=15))
    busy_import.refresh_from_db()
    assert (busy_import.last_error, busy_import.last_error_code) == ("", "")


def test_a_private_address_is_refused_when_fetched_too(provider, service, feed_server, settings):
    busy_import = _imported(provider, feed_server)
    settings.CALENDAR_IMPORT_ALLOW_PRIVATE = False
    assert busy_import_refresh(import_id=busy_import.pk, now=NOW + dt.timedelta(hours=1)) == "private_address"
    busy_import.refresh_from_db()
    assert busy_import.last_error == "The address points to a private network."
    assert len(_rows(provider)) == 5


def test_fetching_again_is_idempotent(provider, service, feed_server):
    busy_import = _imported(provider, feed_server)
    rows, days = _rows(provider), _days(provider)
    BusyImport.objects.filter(pk=busy_import.pk).update(etag="")  # no conditional GET: the whole file again
    assert busy_import_refresh(import_id=busy_import.pk, now=NOW) == "5 busy times"
    assert (_rows(provider), _days(provider)) == (rows, days)
    assert ImportedBusy.objects.count() == 5 and BusyDay.objects.filter(kind="imported").count() == 4


def test_an_unchanged_calendar_is_asked_for_conditionally(provider, service, feed_server):
    busy_import = _imported(provider, feed_server)
    later = NOW + dt.timedelta(minutes=15)
    assert busy_import_refresh(import_id=busy_import.pk, now=later) == "not modified"
    assert feed_server.conditional == [MINE]
    busy_import.refresh_from_db()
    assert busy_import.last_ok_at == later and len(_rows(provider)) == 5
    # a day on, the whole calendar is read again, so recurring events reach further ahead
    assert busy_import_refresh(import_id=busy_import.pk, now=NOW + dt.timedelta(days=2)) == "5 busy times"
    assert feed_server.conditional == [MINE]


def test_a_fetch_that_ends_after_a_newer_one_is_dropped(provider, service, feed_server):
    busy_import = _imported(provider, feed_server, now=NOW + dt.timedelta(hours=1))
    assert busy_import_refresh(import_id=busy_import.pk, now=NOW) == "superseded"


def test_a_new_address_keeps_the_old_busy_times_until_it_is_read(provider, service, feed_server):
    _imported(provider, feed_server)
    busy_import = busy_import_save(provider=provider, url=feed_server.url("/feeds/berlin-weekly.ics"), now=NOW)
    assert busy_import.etag == "" and len(_rows(provider)) == 5
    assert busy_import_refresh(import_id=busy_import.pk, now=NOW) == "25 busy times"
    assert len(_rows(provider)) == 25 and _days(provider) == []


def test_removing_the_import_forgets_its_busy_times(provider, service, feed_server):
    _imported(provider, feed_server)
    assert busy_import_delete(provider=provider) is True
    assert not ImportedBusy.objects.exists() and not BusyDay.objects.filter(kind="imported").exists()
    assert busy_import_delete(provider=provider) is False
    assert tasks_run() == 1  # the fetch queued when it was saved finds nothing to do
    assert not ImportedBusy.objects.exists()


def test_timers_queue_a_fetch_only_for_calendars_due(provider, service, stranger, feed_server):
    from accounts.models import Role

    stranger.role = Role.PROVIDER
    stranger.save(update_fields=["role"])
    fresh = busy_import_save(provider=provider, url=feed_server.url(MINE), now=NOW)
    stale = busy_import_save(provider=stranger, url=feed_server.url("/feeds/berlin-weekly.ics"), now=NOW)
    busy_import_refresh(import_id=fresh.pk, now=NOW + dt.timedelta(minutes=10))
    busy_import_refresh(import_id=stale.pk, now=NOW)
    before = tasks_due().count()
    at = NOW + dt.timedelta(minutes=16)  # the stale one was fetched 16 minutes ago, the fresh one 6
    assert busy_imports_queue_due(now=at) == 1
    assert busy_imports_queue_due(now=at + dt.timedelta(minutes=1)) == 0  # queued: not again
    assert tasks_due().count() == before + 1
    assert busy_imports_queue_due(now=at + dt.timedelta(minutes=15)) == 2


def test_run_timers_queues_the_fetches_and_the_worker_runs_them(provider, service, feed_server):
    busy_import = busy_import_save(provider=provider, url=feed_server.url("/feeds/berlin-weekly.ics"))
    tasks_run()
    out = io.StringIO()
    call_command("run_timers", stdout=out)
    assert "0 calendar imports queued" in out.getvalue()
    BusyImport.objects.filter(pk=busy_import.pk).update(next_fetch_at=timezone.now() - dt.timedelta(seconds=1))
    call_command("run_timers", stdout=out)
    assert "1 calendar imports queued" in out.getvalue()
    assert tasks_run() == 1 and feed_server.asked["/feeds/berlin-weekly.ics"] == 2
