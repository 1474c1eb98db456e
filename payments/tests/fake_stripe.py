"""A small in-process fake of the Stripe endpoints GigSta uses.

Our machines cannot reach api.stripe.com, so tests point the real `stripe` library at this loopback
server instead. That way the library's own encoding, headers, retries and error mapping are exercised,
and only Stripe's server side is imitated. It implements just enough of Checkout Sessions, Refunds,
idempotency keys, signed webhook events and the hosted payment page to test our integration.
"""

from __future__ import annotations

import copy
import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import stripe

from payments.tests.fake_stripe_connect import ONBOARDING, ConnectFake

SESSIONS = "/v1/checkout/sessions"
REFUNDS = "/v1/refunds"
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
# Webhooks go straight to the loopback test server, even where an HTTP proxy is configured.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Request(NamedTuple):
    """One request as the fake received it: `params` is the decoded form body or query string, `headers` as sent."""

    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]


class StripeError(Exception):
    """An error answer in Stripe's shape; raised inside a handler and turned into the HTTP response."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", param=None, code=None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "message": message}}
        if param:
            self.body["error"]["param"] = param
        if code:
            self.body["error"]["code"] = code


def decode_form(text: str) -> dict[str, Any]:
    """Decode Stripe's bracket notation (`a[b][0][c]=x`) into nested dicts, numeric indexes into lists.

    Values stay strings, as Stripe receives them; handlers convert the few they compute with.
    """
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        head, _, rest = key.partition("[")
        parts = [head, *rest[:-1].split("][")] if rest else [head]
        node = root
        for depth, part in enumerate(parts):
            if part == "":  # `expand[]=x` style: the next free index
                part = str(len(node))
            if depth == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(value):
    if not isinstance(value, dict):
        return value
    items = {key: _listify(item) for key, item in value.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def _new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def _positive_int(value, param: str) -> int:
    """Stripe rejects amounts and quantities that are not whole numbers above zero."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeError(400, f"Invalid integer: {value}", param=param, code="parameter_invalid_integer") from None
    if number <= 0:
        raise StripeError(400, f"This value must be greater than 0 ({param}).", param=param, code="parameter_invalid")
    return number


def _required(params: dict, name: str):
    if params.get(name) in (None, "", [], {}):
        raise StripeError(400, f"Missing required param: {name}.", param=name, code="parameter_missing")
    return params[name]


class FakeStripe(ConnectFake):
    """A loopback Stripe: start it, point the client's api base at `base`, and inspect what arrived.

    State is public for assertions: `requests`, `sessions`, `payment_intents`, `refunds`, `refunded`
    (running refunded total per payment intent), `events` (every event built), `deliveries`
    ((event type, status) per webhook the hosted page sent) and `creations` (objects really created
    per path, so idempotent replays can be told apart from new work).
    """

    secret_key = "sk_test_fake"
    webhook_secret = "whsec_test_fake"

    def __init__(self):
        self.base = ""
        self.webhook_url: str | None = None
        self.requests: list[Request] = []
        self.sessions: dict[str, dict] = {}
        self.expired_by_api: list[str] = []  # sessions closed through POST .../expire
        self.session_params: dict[str, dict] = {}
        self.payment_intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.refunded: dict[str, int] = {}
        self.events: list[dict] = []
        self.deliveries: list[tuple[str, int | None]] = []
        self.creations: Counter[str] = Counter()
        self._idempotent: dict[tuple[str, str], tuple[dict, int, dict]] = {}
        self._failures: list[list] = []
        self._hold: tuple[str, threading.Event, threading.Event] | None = None
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connect_init()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval keeps close(), and so every test's teardown, fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-stripe", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- test controls ---------------------------------------------------------------------------

    def fail_next(self, path: str, status: int = 500, times: int = 1) -> None:
        """Answer the next `times` requests to `path` with an outage, before anything else happens.

        Outages are not stored under their idempotency key, so a retry with the same key does the work.
        """
        with self._lock:
            self._failures.append([path, status, times])

    def hold_answer(self, path: str) -> tuple[threading.Event, threading.Event]:
        """The next request to `path` does its work, then waits before answering: the caller
        can kill the client meanwhile. Returns (reached, release): `reached` is set once the
        work is done, `release` lets the answer go (it goes anyway after 30 seconds)."""
        reached, release = threading.Event(), threading.Event()
        with self._lock:
            self._hold = (path, reached, release)
        return reached, release

    def _take_hold(self, path: str) -> tuple[threading.Event, threading.Event] | None:
        with self._lock:
            if self._hold is not None and self._hold[0] == path:
                _, reached, release = self._hold
                self._hold = None
                return reached, release
        return None

    # -- events ----------------------------------------------------------------------------------

    def event(self, type: str, obj: dict) -> dict:
        """Wrap a snapshot of `obj` in an event envelope shaped like Stripe's."""
        event = {
            "id": _new_id("evt"),
            "object": "event",
            "type": type,
            "api_version": stripe.api_version,
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": copy.deepcopy(obj)},
        }
        with self._lock:
            self.events.append(event)
        return event

    def complete(self, session_id: str) -> list[dict]:
        """The customer paid: the session completes, a succeeded payment intent appears, two events follow."""
        with self._lock:
            session = self._open_session(session_id)
            intent = {
                "id": _new_id("pi"),
                "object": "payment_intent",
                "amount": session["amount_total"],
                "amount_received": session["amount_total"],
                "currency": session["currency"],
                "status": "succeeded",
                "latest_charge": _new_id("ch"),
                "metadata": dict(self.session_params[session_id].get("payment_intent_data", {}).get("metadata", {})),
                "transfer_group": self.session_params[session_id].get("payment_intent_data", {}).get("transfer_group"),
                "created": int(time.time()),
                "livemode": False,
            }
            self.payment_intents[intent["id"]] = intent
            self.refunded[intent["id"]] = 0
            self._balance_add("charge", intent["amount_received"], intent["currency"], intent["latest_charge"])
            session.update(status="complete", payment_status="paid", payment_intent=intent["id"], url=None)
            return [self.event("checkout.session.completed", session), self.event("payment_intent.succeeded", intent)]

    def expire(self, session_id: str) -> dict:
        """The customer never paid and the session ran out (or was expired)."""
        with self._lock:
            session = self._open_session(session_id)
            session.update(status="expired", url=None)
            return self.event("checkout.session.expired", session)

    def _open_session(self, session_id: str) -> dict:
        session = self.sessions.get(session_id)
        if session is None:
            raise KeyError(f"no such checkout session: {session_id}")
        if session["status"] != "open":
            raise ValueError(f"checkout session {session_id} is {session['status']}, not open")
        return session

    # -- webhooks --------------------------------------------------------------------------------

    def sign(self, payload: str, secret: str | None = None, timestamp: int | None = None) -> str:
        """The `Stripe-Signature` header for `payload`, made with Stripe's own signing scheme."""
        return stripe.WebhookSignature.generate_signature_header(payload, secret or self.webhook_secret, timestamp)

    def deliver(self, event: dict, url: str) -> int:
        """POST a signed event to `url` like Stripe's webhook sender and return the HTTP status."""
        payload = json.dumps(event)
        request = urllib.request.Request(
            url,
            data=payload.encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": self.sign(payload)},
        )
        try:
            with _DIRECT.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    # -- API -------------------------------------------------------------------------------------

    def _handle_api(self, method: str, path: str, params: dict, headers: Message) -> tuple[int, dict, dict]:
        """Run one /v1 request: auth, then idempotent replay, then the endpoint. Returns status, body, headers."""
        if headers.get("Authorization") != f"Bearer {self.secret_key}":
            raise StripeError(401, "Invalid API Key provided.")
        key = headers.get("Idempotency-Key") if method == "POST" else None
        if key and (path, key) in self._idempotent:
            first_params, status, body = self._idempotent[(path, key)]
            if first_params != params:
                raise StripeError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    type="idempotency_error",
                )
            return status, body, {"Idempotent-Replayed": "true"}
        status, body = self._route(method, path, params)
        if key:  # only successes are saved: like Stripe, a request that failed validation may be retried
            self._idempotent[(path, key)] = (params, status, body)
        return status, body, {}

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if method == "POST" and path == SESSIONS:
            return 200, self._create_session(params)
        if method == "POST" and path == REFUNDS:
            return 200, self._create_refund(params)
        if method == "POST" and path.startswith(SESSIONS + "/") and path.endswith("/expire"):
            return 200, self._expire_session(path.removeprefix(SESSIONS + "/").removesuffix("/expire"))
        stores = {
            SESSIONS: ("checkout.session", self.sessions),
            "/v1/payment_intents": ("payment_intent", self.payment_intents),
            REFUNDS: ("refund", self.refunds),
        }
        prefix, _, object_id = path.rpartition("/")
        if method == "GET" and prefix in stores:
            name, store = stores[prefix]
            if object_id not in store:
                raise StripeError(404, f"No such {name}: '{object_id}'", param="id", code="resource_missing")
            return 200, self._expand(store[object_id], params.get("expand", []))
        if (routed := self._route_connect(method, path, params)) is not None:
            return routed
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _expand(self, obj: dict, fields: list[str]) -> dict:
        """Inline the payment intent when asked with `expand[]=payment_intent`, as Stripe does."""
        obj = copy.deepcopy(obj)
        if "payment_intent" in fields and obj.get("payment_intent") in self.payment_intents:
            obj["payment_intent"] = copy.deepcopy(self.payment_intents[obj["payment_intent"]])
        return obj

    def _expire_session(self, session_id: str) -> dict:
        """POST /v1/checkout/sessions/:id/expire: only an open session can be expired, as at Stripe."""
        session = self.sessions.get(session_id)
        if session is None:
            raise StripeError(
                404, f"No such checkout.session: '{session_id}'", param="session", code="resource_missing"
            )
        if session["status"] != "open":
            raise StripeError(400, 'Only Checkout Sessions with a status in ["open"] can be expired.')
        session.update(status="expired", url=None)
        self.expired_by_api.append(session_id)
        return copy.deepcopy(session)

    def _create_session(self, params: dict) -> dict:
        mode = _required(params, "mode")
        if mode != "payment":
            raise StripeError(400, f"FakeStripe only implements mode=payment, not {mode}.", param="mode")
        line_items = _required(params, "line_items")
        success_url = _required(params, "success_url")
        amount_total, currencies = 0, set()
        for index, item in enumerate(line_items):
            param = f"line_items[{index}]"
            price_data = item.get("price_data") or {}
            if not price_data:
                raise StripeError(
                    400, "FakeStripe only implements price_data line items.", param=f"{param}[price_data]"
                )
            quantity = _positive_int(item.get("quantity"), f"{param}[quantity]")
            unit_amount = _positive_int(price_data.get("unit_amount"), f"{param}[price_data][unit_amount]")
            currencies.add(_required(price_data, "currency").lower())
            amount_total += quantity * unit_amount
        if len(currencies) > 1:
            raise StripeError(400, "All line items must use the same currency.", param="line_items")
        created = int(time.time())
        expires_at = int(params.get("expires_at") or created + 24 * 3600)
        if not created + 30 * 60 - 5 <= expires_at <= created + 24 * 3600 + 5:  # Stripe's own limits
            raise StripeError(400, "expires_at must be between 30 minutes and 24 hours from now.", param="expires_at")
        session_id = _new_id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"{self.base}/pay/{session_id}",
            "mode": mode,
            "status": "open",
            "payment_status": "unpaid",
            "amount_subtotal": amount_total,
            "amount_total": amount_total,
            "currency": currencies.pop(),
            "metadata": params.get("metadata", {}),
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "success_url": success_url,
            "cancel_url": params.get("cancel_url"),
            "payment_intent": None,
            "expires_at": expires_at,
            "created": created,
            "livemode": False,
        }
        self.sessions[session_id] = session
        self.session_params[session_id] = params
        self.creations[SESSIONS] += 1
        return self._expand(session, params.get("expand", []))

    def _create_refund(self, params: dict) -> dict:
        intent_id = _required(params, "payment_intent")
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise StripeError(
                400, f"No such payment_intent: '{intent_id}'", param="payment_intent", code="resource_missing"
            )
        remaining = intent["amount_received"] - self.refunded[intent_id]
        if "amount" not in params and remaining == 0:
            raise StripeError(
                400, f"Charge {intent['latest_charge']} has already been refunded.", code="charge_already_refunded"
            )
        amount = _positive_int(params.get("amount", remaining), "amount")
        if amount > remaining:
            raise StripeError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining}).",
                param="amount",
                code="amount_too_large",
            )
        reason = params.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise StripeError(400, f"Invalid reason: must be one of {sorted(REFUND_REASONS)}", param="reason")
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent_id,
            "charge": intent["latest_charge"],
            "reason": reason,
            "status": "succeeded",
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        self.refunded[intent_id] += amount
        refund["balance_transaction"] = self._balance_add("refund", -amount, refund["currency"], refund["id"])["id"]
        self.creations[REFUNDS] += 1
        return refund

    def _take_failure(self, path: str) -> int | None:
        with self._lock:
            for failure in self._failures:
                if failure[0] == path:
                    failure[2] -= 1
                    if failure[2] == 0:
                        self._failures.remove(failure)
                    return failure[1]
        return None

    # -- hosted checkout page --------------------------------------------------------------------

    def _checkout_page(self, session_id: str) -> tuple[int, str]:
        session = self.sessions.get(session_id)
        if session is None:
            return 404, "<p>No such checkout session.</p>"
        if session["status"] != "open":
            return 410, f"<p>This checkout session is {html.escape(session['status'])}.</p>"
        names = [
            item["price_data"].get("product_data", {}).get("name", "")
            for item in self.session_params[session_id]["line_items"]
        ]
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        cancel = f'<a href="{html.escape(session["cancel_url"])}">Cancel</a>' if session["cancel_url"] else ""
        return 200, (
            '<!doctype html><html><head><meta charset="utf-8"><title>Fake Stripe Checkout</title></head><body>'
            f"<h1>{html.escape(', '.join(names))}</h1><p>Total: <strong>{amount}</strong></p>"
            f'<form method="post" action="/pay/{html.escape(session_id)}"><button type="submit">Pay</button></form>'
            f"{cancel}</body></html>"
        )

    def _pay(self, session_id: str) -> str:
        """Complete the session, send its webhooks like Stripe would, and return the success redirect."""
        for event in self.complete(session_id):
            self._send_webhook(event)
        return self.sessions[session_id]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeStripe/1"

    @property
    def fake(self) -> FakeStripe:
        return self.server.fake

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def log_message(self, format, *args):
        """Keep test output quiet."""

    def _dispatch(self):
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        params = decode_form(body if self.command == "POST" else url.query)
        fake = self.fake
        with fake._lock:
            fake.requests.append(Request(self.command, url.path, params, dict(self.headers.items())))
        failure = fake._take_failure(url.path)
        if failure is not None:
            message = "An unexpected error occurred (simulated by FakeStripe.fail_next)."
            return self._json(failure, {"error": {"type": "api_error", "message": message}})
        if url.path.startswith("/v1/"):
            try:
                with fake._lock:
                    status, payload, extra = fake._handle_api(self.command, url.path, params, self.headers)
            except StripeError as error:
                status, payload, extra = error.status, error.body, {}
            if hold := fake._take_hold(url.path):
                reached, release = hold
                reached.set()
                release.wait(timeout=30)
            return self._json(status, payload, extra)
        if url.path.startswith("/pay/"):
            session_id = url.path.removeprefix("/pay/")
            if self.command == "POST":
                try:
                    return self._send(303, b"", {"Location": fake._pay(session_id)})
                except (KeyError, ValueError):
                    pass  # unknown or no longer open: the page below says which
            status, page = fake._checkout_page(session_id)
            return self._send(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        if url.path.startswith(ONBOARDING):
            token = url.path.removeprefix(ONBOARDING)
            status, page, headers = (fake.onboarding_submit if self.command == "POST" else fake.onboarding_page)(token)
            return self._send(status, page.encode(), {"Content-Type": "text/html; charset=utf-8", **headers})
        return self._send(404, b"not found", {"Content-Type": "text/plain"})

    def _json(self, status: int, payload: dict, extra: dict | None = None):
        headers = {"Content-Type": "application/json", "Request-Id": f"req_{secrets.token_hex(7)}", **(extra or {})}
        self._send(status, json.dumps(payload).encode(), headers)

    def _send(self, status: int, body: bytes, headers: dict):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
