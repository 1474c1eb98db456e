"""The fetcher against a real HTTP server on loopback: what it reads, and every way a feed
can be wrong, each refused with a sentence for the provider."""

import socket
import time

import pytest

from calendars.fetch import FeedProblem, fetch, url_problem
from calendars.tests.feed_server import ETAG, FEEDS


def _problem(url: str) -> FeedProblem:
    with pytest.raises(FeedProblem) as caught:
        fetch(url)
    return caught.value


def test_a_feed_is_read_with_its_validators(feed_server):
    fetched = fetch(feed_server.url("/feeds/berlin-weekly.ics"))
    assert fetched.body == (FEEDS / "berlin-weekly.ics").read_bytes()
    assert fetched.etag == ETAG and not fetched.not_modified


def test_an_unchanged_feed_is_not_sent_again(feed_server):
    fetched = fetch(feed_server.url("/feeds/berlin-weekly.ics"), etag=ETAG)
    assert fetched.not_modified and fetched.body == b""
    assert feed_server.conditional == ["/feeds/berlin-weekly.ics"]


def test_up_to_three_redirects_are_followed(feed_server):
    fetched = fetch(feed_server.url("/hop/3"))
    assert fetched.body.startswith(b"BEGIN:VCALENDAR")
    assert feed_server.asked["/feeds/berlin-weekly.ics"] == 1


def test_a_fourth_redirect_is_too_many(feed_server):
    assert _problem(feed_server.url("/hop/4")).message == "Too many redirects."
    assert feed_server.asked["/feeds/berlin-weekly.ics"] == 0


def test_a_redirect_loop_stops(feed_server):
    problem = _problem(feed_server.url("/loop"))
    assert (problem.code, problem.message) == ("too_many_redirects", "Too many redirects.")
    assert feed_server.asked["/loop"] == 4  # the first request and three redirects


def test_a_missing_feed_says_the_status(feed_server):
    problem = _problem(feed_server.url("/missing"))
    assert (problem.code, problem.message) == ("http_status", "HTTP 404 from the server.")


def test_a_server_that_does_not_answer_in_time(feed_server, settings):
    settings.CALENDAR_IMPORT_TIMEOUT = 1
    started = time.monotonic()
    problem = _problem(feed_server.url("/slow"))
    assert (problem.code, problem.message) == ("timeout", "The server did not answer within 1 second.")
    assert time.monotonic() - started < 2.5


def test_a_server_that_drips_is_cut_off_at_the_deadline(feed_server, settings):
    settings.CALENDAR_IMPORT_TIMEOUT = 2
    started = time.monotonic()
    assert _problem(feed_server.url("/drip")).code == "timeout"
    assert time.monotonic() - started < 3.5  # each byte comes in time; the whole does not


def test_a_huge_feed_is_not_read_past_the_limit(feed_server, settings):
    problem = _problem(feed_server.url("/huge"))
    assert (problem.code, problem.message) == ("too_large", "The calendar is larger than 2 MB.")


def test_a_declared_huge_feed_is_refused_before_reading(feed_server, settings):
    settings.CALENDAR_IMPORT_MAX_BYTES = 1024 * 1024
    problem = _problem(feed_server.url("/huge-declared"))
    assert problem.message == "The calendar is larger than 1 MB."


def test_a_server_that_hangs_up(feed_server):
    problem = _problem(feed_server.url("/down"))
    assert (problem.code, problem.message) == ("unreachable", "The server closed the connection without answering.")


def test_nothing_listening(settings):
    settings.CALENDAR_IMPORT_ALLOW_PRIVATE = True
    with socket.socket() as probe:  # a port that was free a moment ago, and nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FeedProblem) as caught:
        fetch(f"http://127.0.0.1:{port}/cal.ics")
    problem = caught.value
    assert (problem.code, problem.message) == ("unreachable", "The server could not be reached (Connection refused).")


def test_an_unknown_name():
    problem = _problem("https://calendar.invalid/feed.ics")
    assert (problem.code, problem.message) == ("unknown_host", "The server name “calendar.invalid” was not found.")


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/cal.ics", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)"],
)
def test_only_http_and_https(url):
    problem = _problem(url)
    assert (problem.code, problem.message) == ("bad_scheme", "Use an http:// or https:// address.")


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.10", "172.16.5.4", "169.254.169.254", "[::1]", "[fe80::1]",
     "[::ffff:127.0.0.1]", "0.0.0.0", "100.64.0.1", "sub.localhost"],
)  # fmt: skip
def test_private_addresses_are_refused_without_a_request(host, settings):
    settings.CALENDAR_IMPORT_ALLOW_PRIVATE = False
    assert url_problem(f"http://{host}/cal.ics").message == "The address points to a private network."


def test_a_name_that_resolves_to_loopback_is_refused(feed_server, settings):
    settings.CALENDAR_IMPORT_ALLOW_PRIVATE = False
    # 2130706433 is 127.0.0.1 written as one number: a name to the URL, loopback once resolved.
    url = f"http://2130706433:{feed_server.port}/feeds/berlin-weekly.ics"
    assert url_problem(url) is None
    problem = _problem(url)
    assert (problem.code, problem.message) == ("private_address", "The address points to a private network.")
    assert sum(feed_server.asked.values()) == 0


def test_each_redirect_is_checked_like_the_first_url(feed_server):
    assert _problem(feed_server.url("/to?ftp://example.com/cal.ics")).code == "bad_scheme"
    assert _problem(feed_server.url("/to?file:///etc/passwd")).code == "bad_scheme"


def test_a_public_address_passes_the_check(settings):
    settings.CALENDAR_IMPORT_ALLOW_PRIVATE = False
    assert url_problem("https://8.8.8.8/cal.ics") is None
    assert url_problem("https://calendar.google.com/calendar/ical/x/basic.ics") is None
