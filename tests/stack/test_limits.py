"""What nginx refuses: bodies over 10 MB, and /metrics from outside (gunicorn still serves it)."""

import pytest

from tests.stack.browser import APP_URL, Client, post_oversized

pytestmark = pytest.mark.usefixtures("stack")

ELEVEN_MB = 11 * 1024 * 1024


def test_oversized_page_post_is_refused_by_nginx():
    page = post_oversized("/search", ELEVEN_MB)
    assert page.status == 413, f"an 11 MB POST to /search answered {page.status}"
    assert page.one("X-Request-ID") is not None, "the 413 has no X-Request-ID"


def test_oversized_api_post_gets_the_api_error_shape():
    api = post_oversized("/api/services", ELEVEN_MB)
    assert api.status == 413, f"an 11 MB POST to /api/services answered {api.status}"
    assert api.json().get("code") == "payload_too_large", f"API 413 body {api.text[:200]}"


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/metrics?format=openmetrics", "//metrics"])
def test_metrics_are_not_reachable_through_the_proxy(path):
    r = Client().get(path)
    assert r.status in (403, 404), f"GET {path} through the proxy answered {r.status}"
    assert b"# TYPE" not in r.body, f"GET {path} through the proxy leaked metrics"


def test_gunicorn_serves_metrics_but_not_to_a_forwarded_request():
    direct = Client(APP_URL).get("/metrics")
    assert direct.status == 200 and b"# TYPE" in direct.body, f"gunicorn's /metrics answered {direct.status}"
    spoofed = Client(APP_URL).get("/metrics", headers={"X-Forwarded-For": "10.0.0.1"})
    assert spoofed.status != 200, "gunicorn serves /metrics to a forwarded request"
