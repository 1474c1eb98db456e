"""The JSON API through nginx."""

import pytest

from tests.stack.browser import Client

pytestmark = pytest.mark.usefixtures("stack")


def test_categories_are_json():
    r = Client().get("/api/categories")
    assert r.status == 200, f"GET /api/categories answered {r.status}"
    categories = r.json()
    assert isinstance(categories, list) and len(categories) > 0, "no categories"


def test_unknown_endpoint_is_a_json_404():
    missing = Client().get("/api/no-such-endpoint")
    assert missing.status == 404 and missing.json().get("code") == "not_found", "API 404 is not JSON"
