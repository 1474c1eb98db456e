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
        # Separate charges and transfers: the money stays on GigSta's balance until the payout's
        # transfer, which names the same group (payments.services.payouts).
        "payment_intent_data": {"metadata": metadata, "transfer_group": metadata["booking_id"]},
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


def _call(what: str, call):
    """Run one Stripe call; GatewayError (logged) when Stripe cannot be reached or refuses it."""
    try:
        return call()
    except stripe.StripeError as exc:
        log.warning("stripe %s failed: %s", what, exc)
        raise GatewayError(str(exc)) from exc


def account_create(*, idempotency_key: str, email: str, metadata: dict[str, str]) -> str:
    """An Express connected account for a provider, able to receive transfers; returns its id."""
    params = {
        "type": "express",
        "email": email,
        "capabilities": {"transfers": {"requested": True}},
        "metadata": metadata,
    }
    return _call(
        "account create", lambda: _client().v1.accounts.create(params, options={"idempotency_key": idempotency_key})
    ).id


def account_link_create(*, idempotency_key: str, account_id: str, refresh_url: str, return_url: str) -> tuple[str, int]:
    """A one-time link to Stripe's hosted onboarding for the account: its URL and expiry (Unix time)."""
    params = {"account": account_id, "refresh_url": refresh_url, "return_url": return_url, "type": "account_onboarding"}
    link = _call(
        "account link", lambda: _client().v1.account_links.create(params, options={"idempotency_key": idempotency_key})
    )
    return link.url, link.expires_at


def account_retrieve(account_id: str) -> dict:
    return _call("account retrieve", lambda: _client().v1.accounts.retrieve(account_id)).to_dict()


def transfer_create(
    *, idempotency_key: str, amount_minor: int, currency: str, destination: str, group: str, metadata: dict[str, str]
) -> str:
    """Move money from GigSta's balance to a connected account; returns the transfer id."""
    params = {
        "amount": amount_minor,
        "currency": currency.lower(),
        "destination": destination,
        "transfer_group": group,
        "metadata": metadata,
    }
    return _call(
        "transfer", lambda: _client().v1.transfers.create(params, options={"idempotency_key": idempotency_key})
    ).id


def transfer_reverse(*, idempotency_key: str, transfer_id: str, amount_minor: int, metadata: dict[str, str]) -> str:
    """Take part of a transfer back from the connected account; returns the reversal id."""
    params = {"amount": amount_minor, "metadata": metadata}
    return _call(
        "transfer reversal",
        lambda: _client().v1.transfers.reversals.create(
            transfer_id, params, options={"idempotency_key": idempotency_key}
        ),
    ).id


def event_verify(payload: bytes, signature: str) -> dict:
    """The event if Stripe signed this payload with one of our webhook secrets (the library's own
    check, including the timestamp tolerance); ValueError otherwise. Connect events (about
    providers' accounts) come from an endpoint of their own with its own secret."""
    secrets = [s for s in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET) if s]
    for secret in secrets:
        try:
            return stripe.Webhook.construct_event(payload, signature, secret).to_dict()
        except stripe.SignatureVerificationError:
            continue
    raise ValueError("The Stripe signature does not match.")
