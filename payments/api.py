import datetime as dt
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from accounts.api import ErrorOut
from bookings.selectors import booking_get_for_user
from gigsta.schemas import InputSchema
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
    """Read from payments.selectors.Money, the same model the booking page shows."""

    currency: str
    price_minor: int = Field(validation_alias="booking.price_minor")
    paid_minor: int = Field(validation_alias="paid")
    refunded_minor: int = Field(validation_alias="refunded", description="Refunds sent.")
    refund_pending_minor: int = Field(
        validation_alias="refund_pending", description="Refunds decided but not yet sent."
    )
    fee_minor: int = Field(
        validation_alias="fee", description="GigSta's fee on what the provider keeps, taken from the payout."
    )
    payout_minor: int = Field(validation_alias="payout")
    due_now: list[DueOut] = Field(description="What the client may pay now; empty when nothing is due.")
    refund_if_cancelled_now_minor: int | None = Field(
        validation_alias="refund_now", description="A client cancelling now gets this back."
    )
    cancellation_policy: list[str] = Field(validation_alias="policy")
    payments: list[PaymentOut]
    ledger: list[LedgerOut] = Field(validation_alias="entries")

    @staticmethod
    def resolve_payments(money) -> list:
        return money.booking.payments.order_by("created_at", "pk")


class CheckoutIn(InputSchema):
    kind: Literal["full", "deposit", "balance"] = "full"
    expected_amount_minor: int | None = Field(
        None, ge=1, description="The amount you showed the client; refused with 409 if it is no longer what is due."
    )


class CheckoutOut(Schema):
    payment_id: UUID = Field(validation_alias="public_id")
    checkout_url: str
    amount_minor: int
    currency: str
    kind: str


@router.get("/bookings/{booking_id}/payments", response={200: MoneyOut, **ERRORS}, operation_id="booking_money_api")
def booking_money_api(request: HttpRequest, booking_id: UUID):
    """The booking's money: paid, refunded, due now, the fee, the policy, payments and the ledger."""
    booking = booking_get_for_user(user=request.auth, public_id=booking_id)
    return booking_money(booking)


@router.post("/bookings/{booking_id}/checkout", response={201: CheckoutOut, **ERRORS}, operation_id="checkout_api")
def checkout_api(request: HttpRequest, booking_id: UUID, payload: CheckoutIn):
    """Start a card payment (the `pay` action): returns the Stripe Checkout URL to send the client
    to. The booking is confirmed when Stripe's signed webhook arrives, not by this call.
    409 when paying is not possible now or the amount changed; 503 when Stripe is unreachable."""
    booking = booking_get_for_user(user=request.auth, public_id=booking_id)
    payment = checkout_start(booking=booking, client=request.auth, **payload.dict())
    return Status(201, payment)
