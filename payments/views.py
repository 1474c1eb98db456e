"""Payment pages: pay (card checkout or how to pay by transfer), the return pages from Stripe
Checkout, receipts, a provider marking a manual refund as sent, and Stripe's webhook."""

import logging
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from bookings.selectors import booking_get_for_user, party_of
from bookings.state_machine import PaymentMethod
from gigsta.errors import DomainError
from gigsta.forms import refusal_words
from payments.errors import WebhookRejected
from payments.forms import PayForm
from payments.models import Payment, PaymentEvent
from payments.selectors import booking_money, payment_get_for_user, receipt_of, refund_due_get_for_provider
from payments.services.checkout import checkout_start
from payments.services.manual import manual_refund_mark_sent
from payments.services.webhooks import stripe_event_handle

log = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    """What the client owes now and how to pay it; a card payment goes on to Stripe Checkout."""
    booking = booking_get_for_user(user=request.user, public_id=booking_id)
    if booking.client_id != request.user.pk:
        raise PermissionDenied("Only the client of a booking pays for it.")
    form = PayForm(data=request.POST if request.method == "POST" else None)
    problem, status = None, 200
    if form.is_bound:
        try:
            payment = _checkout_for(form, booking, request.user)
        except DomainError as exc:
            problem, status = refusal_words(exc), exc.status
        else:
            return HttpResponseClientRedirect(payment.checkout_url) if request.htmx else redirect(payment.checkout_url)
    return render(request, "payments/pay.html", _pay_context(booking, problem), status=status)


def _checkout_for(form: PayForm, booking, client) -> Payment:
    """The checkout the form chose; a DomainError (with its status) when it cannot be opened."""
    if not form.is_valid():
        raise DomainError(form.errors["choice"][0])
    kind, expected_amount_minor = form.cleaned_data["choice"]
    return checkout_start(booking=booking, client=client, kind=kind, expected_amount_minor=expected_amount_minor)


def _pay_context(booking, problem: str | None) -> dict:
    return {
        "booking": booking,
        "money": booking_money(booking),
        "problem": problem,
        "card": booking.payment_method == PaymentMethod.STRIPE,
        "instructions": getattr(booking.provider.provider_profile, "payment_instructions", ""),
    }


@login_required
@require_GET
def checkout_success(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    """Back from Stripe Checkout. The booking is confirmed by the signed webhook, not by this
    page: until it lands the page says so and checks again every two seconds."""
    payment = payment_get_for_user(user=request.user, public_id=payment_id)
    template = "payments/checkout_success.html#status" if request.htmx else "payments/checkout_success.html"
    # Paid after the booking had moved on (withdrawn, expired, paid in another tab): refunded.
    refunded = payment.events.filter(kind=PaymentEvent.Kind.REFUND_DUE).exists()
    return render(request, template, {"payment": payment, "booking": payment.booking, "refunded": refunded})


@login_required
@require_GET
def checkout_cancel(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    payment = payment_get_for_user(user=request.user, public_id=payment_id)
    return render(request, "payments/checkout_cancel.html", {"payment": payment, "booking": payment.booking})


@login_required
@require_GET
def receipt(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    """A receipt for the client; for the provider, the same payment with the fee and payout."""
    payment = payment_get_for_user(user=request.user, public_id=payment_id)
    if payment.status != Payment.Status.SUCCEEDED:
        messages.info(request, "There is no receipt yet: this payment has not been made.")
        return redirect("bookings:detail", booking_id=payment.booking.public_id)
    context = {"receipt": receipt_of(payment), "payment": payment, "booking": payment.booking}
    return render(request, "payments/receipt.html", {**context, "role": party_of(payment.booking, request.user)})


@login_required
@require_POST
def refund_sent(request: HttpRequest, refund_id: UUID) -> HttpResponse:
    """The provider returned a bank-transfer or cash refund."""
    due = refund_due_get_for_provider(user=request.user, public_id=refund_id)
    try:
        manual_refund_mark_sent(due=due, actor=request.user)
    except DomainError as exc:
        messages.error(request, refusal_words(exc))
    else:
        messages.success(request, "Marked as refunded. The client can see it on the booking.")
    return redirect("bookings:detail", booking_id=due.payment.booking.public_id)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events, verified by signature. 200 for applied, repeated and ignored events (so
    Stripe stops sending them); 400 with a reason for anything that cannot be applied."""
    try:
        outcome = stripe_event_handle(request.body, request.headers.get("Stripe-Signature", ""))
    except WebhookRejected as exc:
        log.warning("stripe webhook rejected (%s): %s", exc.code, exc)
        return JsonResponse({"detail": exc.message, "code": exc.code}, status=exc.status)
    return JsonResponse({"received": True, "outcome": outcome})
