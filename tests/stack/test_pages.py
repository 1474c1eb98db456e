"""Pages and probes through nginx on the seeded demo data."""

import pytest

from tests.stack.browser import Client, sign_up

pytestmark = pytest.mark.usefixtures("stack")


def test_search_finds_the_seeded_band():
    r = Client().get("/search?q=band")
    assert r.status == 200, f"GET /search?q=band answered {r.status}"
    assert "The Night Owls" in r.text, "the seeded band (The Night Owls) is not in the results"


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_health_and_readiness_answer_ok(path):
    r = Client().get(path)
    assert r.status == 200, f"GET {path} answered {r.status}: {r.text[:200]}"
    assert r.json().get("status") == "ok", f"{path} said {r.text[:200]}"


def test_sign_up_logs_the_new_account_in():
    sign_up("Signup")
