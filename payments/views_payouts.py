"""A provider's payouts: their Stripe Express account's status, onboarding through Stripe's
hosted page, and the pages Stripe sends them back to. No view calls Stripe: each queues a task
(payments.services.connect) and the page waits for it, polling."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from gigsta.errors import DomainError
from gigsta.forms import refusal_words
from payments.selectors import payouts_of
from payments.services.connect import (
    payout_account_of,
    payout_account_refresh_request,
    payout_onboarding_link_take,
    payout_onboarding_start,
)


def _provider(request: HttpRequest):
    if not request.user.is_provider:
        raise PermissionDenied("Payouts are for provider accounts.")
    return request.user


@login_required
@require_GET
def payouts(request: HttpRequest) -> HttpResponse:
    """The payout account's status and the payouts GigSta holds for the provider. While a status
    check is queued, the htmx fragment polls."""
    provider = _provider(request)
    template = "payments/payouts.html#status" if request.htmx else "payments/payouts.html"
    return render(request, template, {"account": payout_account_of(provider), "payouts": payouts_of(provider)})


@login_required
@require_POST
def payouts_connect(request: HttpRequest) -> HttpResponse:
    """Set up, continue or update payouts: a task fetches the Stripe link; the next page waits for it."""
    return _connect(request)


@login_required
@require_GET
def payouts_onboarding(request: HttpRequest) -> HttpResponse:
    """Waits for the onboarding link (polling), then sends the provider to Stripe."""
    account = payout_account_of(_provider(request))
    if account is None:
        return redirect("payments:payouts")
    url = payout_onboarding_link_take(account=account)
    if url:
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if account.link_requested_at is None:  # a used link, from a reload or the back button
        messages.info(request, "That Stripe link has been used. Press the button for a new one.")
        return HttpResponseClientRedirect(reverse("payments:payouts")) if request.htmx else redirect("payments:payouts")
    template = "payments/payouts_onboarding.html#waiting" if request.htmx else "payments/payouts_onboarding.html"
    return render(request, template, {"account": account})


@login_required
@require_GET
def payouts_return(request: HttpRequest) -> HttpResponse:
    """Stripe sends the provider back here when they finish or leave onboarding. Their status is
    what Stripe says, not this visit: a task reads it, and the payouts page waits for it."""
    payout_account_refresh_request(provider=_provider(request))
    return redirect("payments:payouts")


@login_required
@require_GET
def payouts_refresh(request: HttpRequest) -> HttpResponse:
    """Stripe sends the provider here when the link expired or was used: fetch a new one."""
    return _connect(request)


def _connect(request: HttpRequest) -> HttpResponse:
    try:
        payout_onboarding_start(provider=_provider(request))
    except DomainError as exc:
        messages.error(request, refusal_words(exc))
        return redirect("payments:payouts")
    return redirect("payments:payouts_onboarding")
