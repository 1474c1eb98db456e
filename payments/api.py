import datetime as dt
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from accounts.api import ErrorOut
from bookings.selectors import booking_get_for_user
from payments.selectors import booking_money
from payments.services.checkout import checkout_start

router = Router(tags=["payments"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut}


class DueOut(Schema):
    kind: str
    amount_minor: int
    label: str


class PaymentOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    kind: str
    method: str
    amount_minor: int
    fee_minor: int
    currency: str
    status: str
    created_at: dt.datetime


class LedgerOut(Schema):
    kind: str
    payment_id: UUID = Field(validation_alias="payment.public_id")
    amount_minor: int
    note: str
    created_at: dt.datetime


class MoneyOut(Schema):
    currency: str
    price_minor: int
    paid_minor: int
    refunded_minor: int = Field(description="Refunds sent.")
    refund_pending_minor: int = Field(description="Refunds decided but not yet sent.")
    fee_minor: int = Field(description="GigSta's fee on what the provider keeps, taken from the payout.")
    payout_minor: int
    due_now: list[DueOut] = Field(description="What the client may pay now; empty when nothing is due.")
    refund_if_cancelled_now_minor: int | None = Field(description="A client cancelling now gets this back.")
    cancellation_policy: list[str]
    payments: list[PaymentOut]
    ledger: list[LedgerOut]


class CheckoutIn(Schema):
    kind: Literal["full", "deposit", "balance"] = "full"
    expected_amount_minor: int | None = Field(
        None, ge=1, description="The amount you showed the client; refused with 409 if it is no longer what is due."
    )


class CheckoutOut(Schema):
    payment_id: UUID
    checkout_url: str
    amount_minor: int
    currency: str
    kind: str


@router.get("/bookings/{booking_id}/payments", response={200: MoneyOut, **ERRORS}, operation_id="booking_money_api")
def booking_money_api(request: HttpRequest, booking_id: UUID):
    """The booking's money: paid, refunded, due now, the fee, the policy, payments and the ledger."""
    booking = booking_get_for_user(user=request.auth, public_id=booking_id)
    money = booking_money(booking)
    return {
        "currency": booking.currency,
        "price_minor": booking.price_minor,
        "paid_minor": money.paid,
        "refunded_minor": money.refunded,
        "refund_pending_minor": money.refund_pending,
        "fee_minor": money.fee,
        "payout_minor": money.payout,
        "due_now": money.due_now,
        "refund_if_cancelled_now_minor": money.refund_now,
        "cancellation_policy": money.policy,
        "payments": booking.payments.order_by("created_at", "pk"),
        "ledger": money.entries,
    }


@router.post("/bookings/{booking_id}/checkout", response={201: CheckoutOut, **ERRORS}, operation_id="checkout_api")
def checkout_api(request: HttpRequest, booking_id: UUID, payload: CheckoutIn):
    """Start a card payment (the `pay` action): returns the Stripe Checkout URL to send the client
    to. The booking is confirmed when Stripe's signed webhook arrives, not by this call.
    409 when paying is not possible now or the amount changed; 503 when Stripe is unreachable."""
    booking = booking_get_for_user(user=request.auth, public_id=booking_id)
    payment = checkout_start(
        booking=booking,
        client=request.auth,
        kind=payload.kind,
        expected_amount_minor=payload.expected_amount_minor,
    )
    return Status(
        201,
        {
            "payment_id": payment.public_id,
            "checkout_url": payment.checkout_url,
            "amount_minor": payment.amount_minor,
            "currency": payment.currency,
            "kind": payment.kind,
        },
    )
