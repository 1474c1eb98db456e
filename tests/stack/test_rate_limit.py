"""nginx's rate limits: sign-in posts per address, and the API. Leaves both zones exhausted,
so it runs after every test that posts a form or calls the API (conftest.LAST)."""

import pytest

from tests.stack.browser import Client

pytestmark = pytest.mark.usefixtures("stack")


def test_login_posts_are_limited_but_the_page_is_not():
    statuses = []
    for _ in range(40):
        r = Client().request("POST", "/accounts/login/", data=b"login=x&password=y")
        statuses.append(r.status)
        if r.status == 429:
            break
    assert statuses[-1] == 429, f"no 429 after {len(statuses)} login posts: {sorted(set(statuses))}"
    assert r.one("X-Request-ID") is not None, "the 429 has no X-Request-ID"
    assert r.one("Retry-After") == "60", f"the 429 has Retry-After {r.one('Retry-After')!r}"
    page = Client().get("/accounts/login/")
    assert page.status == 200, f"reading the login page is limited too ({page.status})"
    token = Client().request(
        "POST", "/api/auth/token", data=b'{"email": "a@example.com", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert token.status == 429, f"POST /api/auth/token answered {token.status} after the burst"
    assert token.json().get("code") == "rate_limited", f"API 429 body {token.text[:200]}"


def test_api_calls_are_limited():
    calls = 0
    while calls < 120:  # the API zone: 20/s with a burst of 40
        calls += 1
        api = Client().get("/api/categories")
        if api.status != 200:
            break
    assert api.status == 429, f"no 429 after {calls} API calls: last answer {api.status}"
    assert api.json().get("code") == "rate_limited", f"API 429 body {api.text[:200]}"
    assert api.one("Retry-After") == "1", f"the API 429 has Retry-After {api.one('Retry-After')!r}"
