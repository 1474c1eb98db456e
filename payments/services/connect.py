"""Providers' Stripe Express accounts: onboarding and status.

A request never calls Stripe (house rule: anything outside the process is a task). Starting
onboarding writes the account row and queues `payout_onboarding_prepare`, which creates the
account at Stripe (once: its idempotency key names the provider) and fetches a one-time
onboarding link; the provider's browser waits on a page that polls until the link is there and
then goes to Stripe. Stripe's return sends them back to a page that queues a status refresh;
`account.updated` webhooks keep the status true afterwards.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bookings.terms import card_payments_on
from gigsta.errors import Conflict
from gigsta.tasks import outbound
from payments import stripe_gateway
from payments.models import PayoutAccount
from payments.services.payouts import payouts_resume

log = logging.getLogger(__name__)
Status = PayoutAccount.Status

# A link closer than this to its expiry is not handed out: the provider would land on an error.
LINK_MARGIN = dt.timedelta(seconds=30)
# The provider waits for the link while the task retries this often (Stripe slow or down).
LINK_RETRY = dt.timedelta(seconds=20)


class PayoutsUnavailable(Conflict):
    code = "payouts_unavailable"


def payout_onboarding_start(*, provider: User) -> PayoutAccount:
    """The provider wants to set up (or continue, or update) their payouts: ask for a fresh
    onboarding link. Idempotent while one is being fetched."""
    if not provider.is_provider:
        raise PayoutsUnavailable("Payouts are for provider accounts.", "not_a_provider")
    if not card_payments_on():
        raise PayoutsUnavailable("GigSta does not take card payments, so there is nothing to pay out.", "cards_off")
    with transaction.atomic():
        account, _ = PayoutAccount.objects.select_for_update().get_or_create(provider=provider)
        if account.link_requested_at is None:
            account.link_requested_at = timezone.now()
            account.onboarding_url, account.problem = "", ""
            account.save(update_fields=["link_requested_at", "onboarding_url", "problem", "updated_at"])
            payout_onboarding_prepare.enqueue(account.pk)
    return account


def payout_onboarding_link_take(*, account: PayoutAccount, now: dt.datetime | None = None) -> str | None:
    """The onboarding link, once: Stripe's links work a single time, so a reload asks for a new one."""
    now = now or timezone.now()
    with transaction.atomic():
        account = PayoutAccount.objects.select_for_update().get(pk=account.pk)
        if not account.onboarding_url or account.onboarding_expires_at <= now + LINK_MARGIN:
            return None
        url = account.onboarding_url
        account.onboarding_url = ""
        account.save(update_fields=["onboarding_url", "updated_at"])
    return url


@outbound(max_delay=LINK_RETRY)
def payout_onboarding_prepare(account_id: int) -> None:
    """Task: create the Express account at Stripe if it has none, then fetch an onboarding link
    for the waiting provider. Retried every few seconds while Stripe cannot be reached; the
    waiting page shows the problem meanwhile."""
    account = PayoutAccount.objects.select_related("provider").get(pk=account_id)
    if account.link_requested_at is None:
        return  # fetched by an earlier attempt
    try:
        if not account.stripe_account_id:
            account.stripe_account_id = stripe_gateway.account_create(
                idempotency_key=f"connect-account-{account.provider.public_id}",
                email=account.provider.email,
                metadata={"provider_id": str(account.provider.public_id)},
            )
            account.status = Status.DETAILS_NEEDED
            account.save(update_fields=["stripe_account_id", "status", "updated_at"])
        url, expires_at = stripe_gateway.account_link_create(
            idempotency_key=f"connect-link-{account.pk}-{account.link_requested_at.timestamp():.6f}",
            account_id=account.stripe_account_id,
            refresh_url=settings.SITE_URL + reverse("payments:payouts_refresh"),
            return_url=settings.SITE_URL + reverse("payments:payouts_return"),
        )
    except stripe_gateway.GatewayError:
        PayoutAccount.objects.filter(pk=account.pk).update(problem="Stripe is not answering; we keep trying.")
        raise
    PayoutAccount.objects.filter(pk=account.pk).update(
        onboarding_url=url,
        onboarding_expires_at=dt.datetime.fromtimestamp(expires_at, dt.UTC),
        link_requested_at=None,
        problem="",
        updated_at=timezone.now(),
    )


def payout_account_refresh_request(*, provider: User) -> PayoutAccount | None:
    """Back from Stripe's onboarding: ask Stripe for the account's status (a task), as the
    webhook may come later. None when the provider has no account."""
    with transaction.atomic():
        account = PayoutAccount.objects.select_for_update().filter(provider=provider).first()
        if account is None or not account.stripe_account_id:
            return account
        if account.refresh_requested_at is None:
            account.refresh_requested_at = timezone.now()
            account.save(update_fields=["refresh_requested_at", "updated_at"])
            payout_account_refresh.enqueue(account.pk)
    return account


@outbound(max_delay=LINK_RETRY)
def payout_account_refresh(account_id: int) -> None:
    """Task: read the account from Stripe and apply its status."""
    account = PayoutAccount.objects.get(pk=account_id)
    obj = stripe_gateway.account_retrieve(account.stripe_account_id)
    with transaction.atomic():
        account = PayoutAccount.objects.select_for_update().get(pk=account_id)
        _apply(account, obj)
        account.refresh_requested_at = None
        account.save()


def status_of(obj: dict) -> str:
    """Our status from a Stripe account object."""
    if obj.get("payouts_enabled") and (obj.get("capabilities") or {}).get("transfers") == "active":
        return Status.PAYOUTS_ON
    if obj.get("details_submitted"):
        return Status.PENDING
    return Status.DETAILS_NEEDED


def _apply(account: PayoutAccount, obj: dict) -> bool:
    """Copy a Stripe account object onto ours; True when payouts just came on."""
    was_on = account.payouts_on
    account.status = status_of(obj)
    due = (obj.get("requirements") or {}).get("currently_due") or []
    account.requirements = ", ".join(str(item) for item in due)[:500]
    came_on = account.payouts_on and not was_on
    if came_on:
        payouts_resume(provider_id=account.provider_id)  # payouts that waited for the account
    return came_on


def payout_account_event_apply(*, event_type: str, account_id: str, obj: dict, created: int) -> str:
    """`account.updated` / `account.application.deauthorized` from Stripe's Connect webhook.
    Call inside the webhook's transaction. An event older than the last one applied changes
    nothing (Stripe does not promise order)."""
    account = PayoutAccount.objects.select_for_update().filter(stripe_account_id=account_id).first()
    if account is None:
        return "ignored: not a GigSta provider's account"
    if created < account.stripe_event_created:
        return "ignored: older than the status we have"
    if event_type == "account.application.deauthorized":
        account.status = Status.DISCONNECTED
        outcome = "account disconnected"
    else:
        outcome = "payouts on" if _apply(account, obj) else f"account {account.status}"
    account.stripe_event_created = created
    account.save()
    return outcome


def payout_account_of(provider: User) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(provider=provider).first()
