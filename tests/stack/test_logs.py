"""nginx's access log and Django's log, read after every other test wrote to them (conftest.LAST).

They read the whole session's logs: run them with the rest (make stack); alone, the access log
holds fewer lines than a session leaves.
"""

import json

from tests.stack.browser import Client


def access_log_entries(stack) -> list[dict]:
    entries = []
    for number, line in enumerate(stack.access_log.read_text().splitlines(), 1):
        try:
            entries.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"access log line {number} is not JSON: {line[:200]}") from None
    return entries


def test_access_log_is_json_with_request_ids(stack, request_ids, stylesheet):
    entries = access_log_entries(stack)
    assert len(entries) > 10, f"only {len(entries)} access log lines"
    by_id = {e["request_id"]: e for e in entries}
    kept, generated = request_ids.kept, request_ids.generated.one("X-Request-ID")
    assert kept in by_id, f"the kept request id {kept} is not in the access log"
    assert generated in by_id, f"the generated request id {generated} is not in the access log"
    static = by_id.get(stylesheet.request_id)
    assert static is not None and static["upstream_addr"] == "", "the stylesheet was not served by nginx itself"


def test_access_log_leaves_out_health_but_not_ready(stack):
    for path in ("/health", "/ready"):
        Client().get(path)
    entries = access_log_entries(stack)
    health = [e for e in entries if e["uri"].startswith("/health")]
    assert not health, f"/health is in the access log {len(health)} times"
    assert any(e["uri"] == "/ready" for e in entries), "/ready is missing from the access log"


def test_django_log_lines_carry_the_proxys_request_id(stack, request_ids):
    records = []
    for line in stack.app_log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    assert records, "Django's log has no JSON lines (LOG_FORMAT=json is the default with DEBUG=0)"
    logged = {r.get("request_id") for r in records}
    assert request_ids.csrf in logged, f"no Django log line carries the proxy's request id {request_ids.csrf}"
    missing = [r for r in records if r.get("logger") == "django.request" and r.get("request_id") in ("-", "")]
    assert request_ids.not_found in logged, (
        f"the 404 warning does not carry the proxy's request id {request_ids.not_found}; "
        f"{len(missing)} django.request lines have none"
    )
