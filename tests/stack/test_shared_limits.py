"""Rate limits are counted once for the whole site, not once per gunicorn worker: without
REDIS_URL the stack's workers share a cache table in PostgreSQL. Straight to gunicorn (two
workers), so nginx's own limits stay out of it."""

import json

import pytest

from tests.stack.browser import APP_URL, Client

pytestmark = pytest.mark.usefixtures("stack")

NOMINAL = 10  # API_AUTH_THROTTLE: 10 token requests a minute per address


def test_the_token_endpoints_limit_holds_across_workers():
    body = json.dumps({"email": "nobody@example.com", "password": "wrong"}).encode()
    statuses = [
        Client(APP_URL)
        .request("POST", "/api/auth/token", data=body, headers={"Content-Type": "application/json"})
        .status
        for _ in range(3 * NOMINAL)
    ]
    answered = [s for s in statuses if s != 429]
    # Counted per worker, two workers would let up to twice the limit through.
    assert len(answered) <= NOMINAL, f"{len(answered)} answered before 429s: {statuses}"
    assert statuses[-1] == 429, statuses
