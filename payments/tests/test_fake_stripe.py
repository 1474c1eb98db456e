"""The fake is only useful if the real stripe library treats it like Stripe, so these tests go through that library."""

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import stripe

from payments.tests.fake_stripe import decode_form


def make_client(fake, api_key=None):
    return stripe.StripeClient(api_key or fake.secret_key, base_addresses={"api": fake.base}, max_network_retries=0)


def session_params(**overrides):
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {"currency": "eur", "unit_amount": 25000, "product_data": {"name": "Jazz trio"}},
            }
        ],
        "success_url": "http://testserver/ok?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://testserver/cancel",
        "client_reference_id": "abc",
        "metadata": {"payment_id": "abc"},
        "payment_intent_data": {"metadata": {"payment_id": "abc"}},
        **overrides,
    }


def create_session(fake, key="k1", **overrides):
    return make_client(fake).v1.checkout.sessions.create(session_params(**overrides), options={"idempotency_key": key})


def paid_intent_id(fake) -> str:
    session = create_session(fake)
    fake.complete(session.id)
    return fake.sessions[session.id]["payment_intent"]


def test_bracket_notation_decodes_to_nested_dicts_and_lists():
    body = (
        "line_items[0][price_data][unit_amount]=25000&line_items[1][quantity]=2"
        "&line_items[0][price_data][product_data][name]=Jazz+trio&metadata[payment_id]=abc"
        "&expand[]=payment_intent&expand[]=line_items&note="
    )
    assert decode_form(body) == {
        "line_items": [
            {"price_data": {"unit_amount": "25000", "product_data": {"name": "Jazz trio"}}},
            {"quantity": "2"},
        ],
        "metadata": {"payment_id": "abc"},
        "expand": ["payment_intent", "line_items"],
        "note": "",
    }


def test_session_is_created_from_what_the_library_sends(fake_stripe):
    session = create_session(fake_stripe)

    assert session.id.startswith("cs_test_") and session.object == "checkout.session"
    assert session.url == f"{fake_stripe.base}/pay/{session.id}"
    assert (session.amount_total, session.currency) == (25000, "eur")
    assert (session.status, session.payment_status, session.payment_intent) == ("open", "unpaid", None)
    assert session.metadata.to_dict() == {"payment_id": "abc"}
    assert session.client_reference_id == "abc"
    assert session.expires_at > session.created
    method, path, params, headers = fake_stripe.requests[-1]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert params["line_items"][0]["price_data"]["product_data"]["name"] == "Jazz trio"
    assert params["payment_intent_data"] == {"metadata": {"payment_id": "abc"}}
    assert headers["Idempotency-Key"] == "k1"


def test_amount_total_sums_every_line_item(fake_stripe):
    extra = {"quantity": 3, "price_data": {"currency": "EUR", "unit_amount": 1500, "product_data": {"name": "Lights"}}}
    session = create_session(fake_stripe, line_items=[*session_params()["line_items"], extra])
    assert (session.amount_total, session.currency) == (25000 + 3 * 1500, "eur")


def test_retrieve_returns_the_session_and_unknown_ids_are_404(fake_stripe):
    client = make_client(fake_stripe)
    session = create_session(fake_stripe)
    assert client.v1.checkout.sessions.retrieve(session.id).to_dict() == session.to_dict()
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")


def test_retrieve_can_expand_the_payment_intent(fake_stripe):
    session = create_session(fake_stripe)
    fake_stripe.complete(session.id)
    fetched = make_client(fake_stripe).v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert fetched.payment_intent.status == "succeeded"
    assert fetched.payment_intent.metadata.to_dict() == {"payment_id": "abc"}


def test_same_idempotency_key_replays_the_same_session(fake_stripe):
    first = create_session(fake_stripe, key="k1")
    again = create_session(fake_stripe, key="k1")
    other = create_session(fake_stripe, key="k2")

    assert again.id == first.id != other.id
    assert fake_stripe.creations["/v1/checkout/sessions"] == 2
    assert len(fake_stripe.sessions) == 2


def test_reusing_a_key_with_different_parameters_is_refused(fake_stripe):
    create_session(fake_stripe, key="k1")
    with pytest.raises(stripe.IdempotencyError):
        create_session(fake_stripe, key="k1", client_reference_id="someone-else")
    assert fake_stripe.creations["/v1/checkout/sessions"] == 1


def test_wrong_api_key_is_an_authentication_error(fake_stripe):
    with pytest.raises(stripe.AuthenticationError) as raised:
        make_client(fake_stripe, api_key="sk_test_wrong").v1.checkout.sessions.create(session_params())
    assert raised.value.http_status == 401
    assert raised.value.json_body["error"]["type"] == "invalid_request_error"
    assert fake_stripe.sessions == {}


def test_fail_next_is_an_api_error_and_the_retry_succeeds_once(fake_stripe):
    fake_stripe.fail_next("/v1/checkout/sessions", status=503)
    with pytest.raises(stripe.APIError) as raised:
        create_session(fake_stripe, key="k1")
    assert raised.value.http_status == 503
    assert raised.value.json_body["error"]["type"] == "api_error"
    assert fake_stripe.sessions == {}

    session = create_session(fake_stripe, key="k1")
    assert create_session(fake_stripe, key="k1").id == session.id
    assert fake_stripe.creations["/v1/checkout/sessions"] == 1


def test_fail_next_counts_down_and_only_hits_its_path(fake_stripe):
    fake_stripe.fail_next("/v1/refunds", times=2)
    create_session(fake_stripe)
    assert len(fake_stripe.sessions) == 1
    for _ in range(2):
        with pytest.raises(stripe.APIError):
            make_client(fake_stripe).v1.refunds.create({"payment_intent": "pi_test_x"})
    with pytest.raises(stripe.InvalidRequestError):  # the outage is over; now the unknown intent is noticed
        make_client(fake_stripe).v1.refunds.create({"payment_intent": "pi_test_x"})


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"mode": None}, "mode"),
        ({"line_items": []}, "line_items"),
        ({"success_url": None}, "success_url"),
        (
            {"line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 0}}]},
            "line_items[0][price_data][unit_amount]",
        ),
        (
            {"line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": "12.5"}}]},
            "line_items[0][price_data][unit_amount]",
        ),
    ],
)
def test_invalid_sessions_are_refused_naming_the_param(fake_stripe, overrides, param):
    params = {key: value for key, value in session_params(**overrides).items() if value is not None}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        make_client(fake_stripe).v1.checkout.sessions.create(params)
    assert (raised.value.http_status, raised.value.param) == (400, param)
    assert fake_stripe.sessions == {}


def test_refunds_partial_then_the_rest_then_nothing_more(fake_stripe):
    client = make_client(fake_stripe)
    intent_id = paid_intent_id(fake_stripe)

    partial = client.v1.refunds.create(
        {"payment_intent": intent_id, "amount": 1000, "metadata": {"payment_id": "abc"}},
        options={"idempotency_key": "r1"},
    )
    assert partial.id.startswith("re_test_") and partial.object == "refund"
    assert (partial.amount, partial.currency, partial.status) == (1000, "eur", "succeeded")
    assert partial.payment_intent == intent_id and partial.metadata.to_dict() == {"payment_id": "abc"}

    rest = client.v1.refunds.create({"payment_intent": intent_id}, options={"idempotency_key": "r2"})
    assert rest.amount == 24000
    assert fake_stripe.refunded[intent_id] == 25000

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": intent_id, "amount": 1}, options={"idempotency_key": "r3"})
    assert (raised.value.code, raised.value.param) == ("amount_too_large", "amount")
    assert len(fake_stripe.refunds) == 2


def test_a_replayed_refund_is_not_refunded_twice(fake_stripe):
    client = make_client(fake_stripe)
    intent_id = paid_intent_id(fake_stripe)
    first = client.v1.refunds.create({"payment_intent": intent_id, "amount": 1000}, options={"idempotency_key": "r1"})
    again = client.v1.refunds.create({"payment_intent": intent_id, "amount": 1000}, options={"idempotency_key": "r1"})
    assert again.id == first.id
    assert fake_stripe.refunded[intent_id] == 1000
    assert fake_stripe.creations["/v1/refunds"] == 1


def test_refund_of_an_unknown_payment_intent_is_refused(fake_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        make_client(fake_stripe).v1.refunds.create({"payment_intent": "pi_test_unknown", "amount": 100})
    assert (raised.value.http_status, raised.value.code) == (400, "resource_missing")
    assert fake_stripe.refunds == {}


def test_complete_builds_the_two_events_stripe_sends(fake_stripe):
    session = create_session(fake_stripe)
    completed, succeeded = fake_stripe.complete(session.id)

    assert completed["type"] == "checkout.session.completed" and completed["object"] == "event"
    assert completed["api_version"] == stripe.api_version and completed["livemode"] is False
    paid = completed["data"]["object"]
    assert (paid["id"], paid["status"], paid["payment_status"]) == (session.id, "complete", "paid")
    intent = succeeded["data"]["object"]
    assert succeeded["type"] == "payment_intent.succeeded" and paid["payment_intent"] == intent["id"]
    assert (intent["amount"], intent["currency"], intent["status"]) == (25000, "eur", "succeeded")
    assert intent["metadata"] == {"payment_id": "abc"}
    with pytest.raises(ValueError, match="not open"):
        fake_stripe.complete(session.id)


def test_expire_builds_an_expired_event(fake_stripe):
    session = create_session(fake_stripe)
    event = fake_stripe.expire(session.id)
    assert event["type"] == "checkout.session.expired"
    assert event["data"]["object"]["status"] == "expired"
    assert make_client(fake_stripe).v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_signed_events_verify_with_the_library_and_tampering_does_not(fake_stripe):
    session = create_session(fake_stripe)
    event = fake_stripe.complete(session.id)[0]
    payload = json.dumps(event)
    header = fake_stripe.sign(payload)

    verified = stripe.Webhook.construct_event(payload, header, fake_stripe.webhook_secret)
    assert (verified.id, verified.type) == (event["id"], "checkout.session.completed")
    assert verified.data.object.id == session.id

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace("25000", "1"), header, fake_stripe.webhook_secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            payload, fake_stripe.sign(payload, secret="whsec_other"), fake_stripe.webhook_secret
        )


def test_arbitrary_events_have_the_stripe_envelope(fake_stripe):
    event = fake_stripe.event("customer.created", {"id": "cus_test_1", "object": "customer"})
    assert event["id"].startswith("evt_test_") and event["pending_webhooks"] == 1
    assert event["data"] == {"object": {"id": "cus_test_1", "object": "customer"}}


def test_the_fixture_points_settings_at_the_fake(fake_stripe, settings):
    configured = (settings.STRIPE_API_BASE, settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET)
    assert configured == (fake_stripe.base, "sk_test_fake", "whsec_test_fake")


@pytest.fixture
def webhook_receiver():
    """A stand-in for our webhook endpoint that records what Stripe's hosted page would deliver."""
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, self.headers["Stripe-Signature"], body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/payments/stripe/webhook/", received
    server.shutdown()
    server.server_close()


def fetch(url: str, method: str = "GET") -> http.client.HTTPResponse:
    """One request without following redirects, so the 303 itself can be checked."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(method, parts.path)
    response = connection.getresponse()
    response.text = response.read().decode()
    connection.close()
    return response


def test_hosted_page_shows_the_amount_a_pay_button_and_cancel(fake_stripe):
    session = create_session(fake_stripe)
    page = fetch(session.url)
    assert page.status == 200
    assert "250.00 EUR" in page.text and "Jazz trio" in page.text
    assert f'<form method="post" action="/pay/{session.id}">' in page.text and ">Pay</button>" in page.text
    assert '<a href="http://testserver/cancel">Cancel</a>' in page.text


def test_paying_on_the_hosted_page_delivers_signed_events_then_redirects(fake_stripe, webhook_receiver):
    url, received = webhook_receiver
    fake_stripe.webhook_url = url
    session = create_session(fake_stripe)

    response = fetch(session.url, method="POST")

    assert response.status == 303
    assert response.getheader("Location") == f"http://testserver/ok?session_id={session.id}"
    assert [path for path, _, _ in received] == ["/payments/stripe/webhook/"] * 2
    events = [stripe.Webhook.construct_event(body, header, fake_stripe.webhook_secret) for _, header, body in received]
    assert [event.type for event in events] == ["checkout.session.completed", "payment_intent.succeeded"]
    assert fake_stripe.deliveries == [("checkout.session.completed", 200), ("payment_intent.succeeded", 200)]
    assert fake_stripe.sessions[session.id]["payment_status"] == "paid"
    assert fetch(session.url, method="POST").status == 410  # a second click cannot pay twice
