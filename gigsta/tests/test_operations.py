"""Production plumbing: CSP, request ids, JSON logs, /metrics, API rate limits, check --deploy."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from gigsta.logging import JsonFormatter, RequestIdFilter
from gigsta.middleware import request_id_var

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_pages_forbid_inline_scripts(client):
    csp = client.get(reverse("home"))["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_admin_and_api_docs_get_the_relaxed_policy(client, staff_user):
    client.force_login(staff_user)
    assert "unsafe-inline" in client.get("/admin/")["Content-Security-Policy"]
    assert "unsafe-inline" in client.get("/api/docs")["Content-Security-Policy"]


def test_security_headers(client):
    response = client.get(reverse("home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_request_id_is_made_or_passed_through(client):
    made = client.get(reverse("health"))["X-Request-ID"]
    assert len(made) == 32
    assert client.get(reverse("health"), headers={"X-Request-ID": "proxy-abc-123"})["X-Request-ID"] == "proxy-abc-123"
    unsafe = client.get(reverse("health"), headers={"X-Request-ID": "bad id\nwith newline"})["X-Request-ID"]
    assert unsafe != "bad id\nwith newline" and len(unsafe) == 32


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("gigsta", logging.WARNING, __file__, 1, "Booking %s failed", ("b-1",), None)
    token = request_id_var.set("req-42")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Booking b-1 failed"
    assert line["request_id"] == "req-42" and line["level"] == "WARNING"


def test_metrics_for_the_private_network_only(client):
    response = client.get(reverse("metrics"), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert b"django_http_requests_total" in response.content
    assert client.get(reverse("metrics"), REMOTE_ADDR="203.0.113.9").status_code == 404
    through_proxy = client.get(reverse("metrics"), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert through_proxy.status_code == 404


def test_api_is_rate_limited_per_client_address(client, settings):
    url = reverse("api:category_list_api")
    statuses = [client.get(url).status_code for _ in range(301)]
    assert statuses[:300] == [200] * 300
    assert statuses[300] == 429
    assert client.get(url).json()["code"] == "rate_limited"


def test_check_deploy_is_clean_with_production_settings():
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "0",
        "SECRET_KEY": "k7Jc2vQ9pX4mZt8RwL1sYb6NdF3hGe0aUi5oPq7Tz2Wx9Vn4Mr8Ls1Kd6Jf3Hg0Cb",
        "SITE_URL": "https://gigsta.example.com",
        "BEHIND_TLS_PROXY": "1",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_PRELOAD": "1",
        "WEBHOOK_SIGNING_KEY": "Qm3vT8zK1pW6xR9sL4nY7cJ2hF5dG0bA8eU3iO6tZ1qX4wV7",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_late_request_log_lines_still_carry_the_request_id(rf):
    request = rf.get("/nowhere")
    request.request_id = "late-line-1"
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/nowhere",), None)
    record.request = request
    RequestIdFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["request_id"] == "late-line-1"
