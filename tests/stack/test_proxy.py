"""What nginx adds or keeps: security headers once each, static and media files from disk, request ids."""

import gzip
import re

import pytest

from tests.stack.browser import Client

pytestmark = pytest.mark.usefixtures("stack")


def test_home_page_has_the_security_headers_once():
    r = Client().get("/")
    assert r.status == 200, f"GET / answered {r.status}"
    assert r.one("X-Frame-Options") == "DENY", f"X-Frame-Options: {r.one('X-Frame-Options')!r}"
    assert r.one("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options is not nosniff"
    assert r.one("Referrer-Policy"), "no Referrer-Policy"
    assert r.one("Strict-Transport-Security") is None, "HSTS sent over plain HTTP"
    assert r.one("X-Request-ID") is not None, "no X-Request-ID"
    server = r.one("Server") or ""
    assert not re.search(r"\d", server), f"Server header reveals a version: {server!r}"
    assert re.search(r"/static/css/gigsta\.[0-9a-f]{12}\.css", r.text), (
        "the page does not link a hashed /static/css/gigsta.<hash>.css"
    )
    r.one("Content-Security-Policy")  # Django's, when it sets one: never twice


def test_hashed_stylesheet_is_cached_for_a_year_and_gzipped(stylesheet):
    r, path = stylesheet.response, stylesheet.path
    assert r.status == 200, f"GET {path} answered {r.status}"
    assert (r.one("Content-Type") or "").startswith("text/css"), f"Content-Type {r.one('Content-Type')!r}"
    cache = r.one("Cache-Control") or ""
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache, f"Cache-Control {cache!r}"
    assert r.one("Content-Encoding") == "gzip", f"not gzipped: Content-Encoding {r.one('Content-Encoding')!r}"
    assert b"{" in gzip.decompress(r.body), "the stylesheet is empty"
    assert r.one("X-Content-Type-Options") == "nosniff", "static file without nosniff"
    assert r.one("X-Frame-Options") == "DENY", "static file without X-Frame-Options"


def test_unhashed_stylesheet_is_revalidated():
    unhashed = Client().get("/static/css/gigsta.css")
    assert unhashed.status == 200, f"GET /static/css/gigsta.css answered {unhashed.status}"
    assert unhashed.one("Cache-Control") == "no-cache", f"unhashed Cache-Control {unhashed.one('Cache-Control')!r}"


def test_media_file_comes_from_media_root_sandboxed(stack):
    photo = stack.media / "stack-check" / "photo.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    photo.parent.chmod(0o755)
    r = Client().get("/media/stack-check/photo.jpg")
    assert r.status == 200, f"GET /media/... answered {r.status}"
    assert r.body == photo.read_bytes(), "the media file came back different"
    csp = r.one("Content-Security-Policy") or ""
    assert "sandbox" in csp, f"media CSP {csp!r}"
    missing = Client().get("/media/stack-check/nothing.jpg")
    assert missing.status == 404, f"a missing media file answered {missing.status}"


def test_client_request_id_is_kept_and_echoed_once(request_ids):
    echoed = request_ids.kept_response.one("X-Request-ID")
    assert echoed == request_ids.kept, f"sent X-Request-ID {request_ids.kept}, got {echoed!r}"


def test_nginx_makes_an_id_when_none_or_a_malformed_one_is_sent(request_ids):
    generated = request_ids.generated.one("X-Request-ID") or ""
    assert re.fullmatch(r"[0-9a-f]{32}", generated) is not None, f"nginx's own id looks wrong: {generated!r}"
    bad = request_ids.malformed.one("X-Request-ID") or ""
    assert re.fullmatch(r"[0-9a-f]{32}", bad) is not None, f"a malformed client id was kept: {bad!r}"


def test_requests_django_logs_a_warning_for(request_ids):
    """Their ids are looked for in Django's log (test_logs.py)."""
    status = request_ids.csrf_response.status
    assert status == 403, f"a login post without a CSRF token answered {status}"
    status = request_ids.not_found_response.status
    assert status == 404, f"GET /no-such-page-stack-check answered {status}"
