"""The only code that talks to Stripe. Every call carries an idempotency key, so a retry (by
the library, the timer or a double click) never charges or refunds twice."""

import logging

import stripe
from django.conf import settings

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """Stripe could not be reached or refused the request; nothing happened there."""


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def checkout_session_create(
    *,
    idempotency_key: str,
    amount_minor: int,
    currency: str,
    description: str,
    metadata: dict[str, str],
    success_url: str,
    cancel_url: str,
    customer_email: str,
    expires_at: int,
) -> tuple[str, str]:
    """Open a Checkout Session for one amount, open until `expires_at` (a Unix time 30 minutes
    to 24 hours ahead); returns its id and the URL to send the client to."""
    params = {
        "mode": "payment",
        "expires_at": expires_at,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": amount_minor,
                    "product_data": {"name": description},
                },
            }
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "customer_email": customer_email,
        "client_reference_id": metadata["payment_id"],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
    }
    try:
        session = _client().v1.checkout.sessions.create(params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as exc:
        log.warning("stripe checkout session failed: %s", exc)
        raise GatewayError(str(exc)) from exc
    return session.id, session.url


def checkout_session_expire(session_id: str) -> bool:
    """Close an open Checkout Session so nobody can pay it any more. False when Stripe says it
    is no longer open (paid or expired already); GatewayError when Stripe cannot be reached."""
    try:
        _client().v1.checkout.sessions.expire(session_id)
    except stripe.InvalidRequestError:
        return False
    except stripe.StripeError as exc:
        log.warning("stripe checkout expire failed: %s", exc)
        raise GatewayError(str(exc)) from exc
    return True


def refund_create(*, idempotency_key: str, payment_intent: str, amount_minor: int, metadata: dict[str, str]) -> str:
    """Refund part or all of a card payment; returns the Stripe refund id."""
    params = {"payment_intent": payment_intent, "amount": amount_minor, "metadata": metadata}
    try:
        refund = _client().v1.refunds.create(params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as exc:
        log.warning("stripe refund failed: %s", exc)
        raise GatewayError(str(exc)) from exc
    return refund.id


def event_verify(payload: bytes, signature: str) -> dict:
    """The event if Stripe signed this payload with our webhook secret (the library's own
    check, including the timestamp tolerance); ValueError otherwise."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as exc:
        raise ValueError("The Stripe signature does not match.") from exc
    return event.to_dict()
