"""Money for bookings: one Payment per attempt to collect an amount, and an append-only
ledger of what happened to it. Totals (paid, refunded, refund due) are sums over the ledger;
nothing stores a running balance that could drift from it."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from bookings.models import Booking
from bookings.state_machine import PaymentMethod


class Payment(models.Model):
    """An amount the client pays for a booking: the whole price, a deposit or the balance.
    Written only by payments.services."""

    class Kind(models.TextChoices):
        FULL = "full", "Full price"
        DEPOSIT = "deposit", "Deposit"
        BALANCE = "balance", "Balance"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for payment"  # a Stripe Checkout Session is open
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"  # the Checkout Session closed unpaid

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    method = models.CharField(max_length=8, choices=[(m.value, m.value.capitalize()) for m in PaymentMethod])
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    fee_minor = models.PositiveIntegerField(help_text="Platform fee on this amount, from the provider's payout.")
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    # Stripe: the Checkout Session id, its URL while open, and the PaymentIntent once paid.
    provider_reference = models.CharField(max_length=255, blank=True)
    checkout_url = models.CharField(max_length=1000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    payment_intent = models.CharField(max_length=255, blank=True)
    # Sent with the Stripe request that created the session, so a retried request never
    # creates a second one.
    idempotency_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_reference"], condition=~Q(provider_reference=""), name="payment_reference_unique"
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(fee_minor__lte=models.F("amount_minor")), name="payment_fee_le_amount"),
        ]
        indexes = [models.Index(fields=["booking", "status"], name="payment_booking_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_minor / 100:.2f} {self.currency} ({self.status})"


class PaymentEvent(models.Model):
    """One line of the money ledger. Written once, never changed. Amounts are positive; the
    kind says which way the money moves."""

    class Kind(models.TextChoices):
        CHECKOUT_STARTED = "checkout_started", "Checkout started"
        CAPTURED = "captured", "Payment received"
        FAILED = "failed", "Payment failed"
        REFUND_DUE = "refund_due", "Refund due"
        REFUNDED = "refunded", "Refunded"
        # Card money GigSta holds goes on to the provider's Stripe account (payments.services.payouts):
        PAYOUT_DUE = "payout_due", "Payout due"
        PAID_OUT = "paid_out", "Paid out to the provider"  # a Stripe transfer; settles its payout_due
        PAYOUT_REVERSED = "payout_reversed", "Payout taken back"  # a transfer reversal, before a refund
        # The cardholder's bank disputed the charge: Stripe took the money until it is decided.
        CHARGEBACK = "chargeback", "Chargeback opened"
        CHARGEBACK_WON = "chargeback_won", "Chargeback won"
        CHARGEBACK_LOST = "chargeback_lost", "Chargeback lost"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_minor = models.PositiveIntegerField(default=0)
    # What happened at the payment provider: a Stripe event, refund or session id.
    provider_reference = models.CharField(max_length=255, blank=True)
    # Unique per real-world happening ("captured:<payment>", "refunded:<refund due>"), so a
    # replay or a second route to the same fact (two webhooks for one payment) writes nothing.
    idempotency_key = models.CharField(max_length=100, unique=True)
    # A refund that is due points at the booking change that caused it; the refund that
    # settles it points back at it.
    booking_event = models.ForeignKey(
        "bookings.BookingEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="payment_events"
    )
    settles = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="settled_by")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["kind", "created_at"], name="payment_event_kind_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_minor / 100:.2f}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ledger entries are immutable.")
        super().save(*args, **kwargs)


class WebhookEvent(models.Model):
    """A Stripe event we processed. The unique event id makes processing happen at most once:
    a replay finds its row and does nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="webhooks")
    outcome = models.CharField(max_length=200)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class PayoutAccount(models.Model):
    """A provider's Stripe Express account, where GigSta transfers card bookings' money. Written
    only by payments.services.connect, from our own requests and Stripe's `account.updated`."""

    class Status(models.TextChoices):
        CREATING = "creating", "Being set up"  # the task creating it at Stripe has not run yet
        DETAILS_NEEDED = "details_needed", "Details needed"
        PENDING = "pending", "Pending: Stripe is checking your details"
        PAYOUTS_ON = "payouts_on", "Payouts on"
        DISCONNECTED = "disconnected", "Disconnected"

    provider = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account")
    stripe_account_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATING)
    requirements = models.CharField(max_length=500, blank=True, help_text="What Stripe still asks for.")
    # The one-time onboarding link the task fetched; the waiting page sends the provider to it.
    onboarding_url = models.CharField(max_length=1000, blank=True)
    onboarding_expires_at = models.DateTimeField(null=True, blank=True)
    # Set while the provider waits for a link (or, back from Stripe, for the status): the task clears it.
    link_requested_at = models.DateTimeField(null=True, blank=True)
    refresh_requested_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(max_length=300, blank=True, help_text="The last failure reaching Stripe.")
    # `created` of the last Stripe event applied: an older event arriving late changes nothing.
    stripe_event_created = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_account_id"], condition=~Q(stripe_account_id=""), name="payout_account_stripe_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} ({self.get_status_display()})"

    @property
    def payouts_on(self) -> bool:
        return self.status == self.Status.PAYOUTS_ON


class Chargeback(PaymentEvent):
    """The admin's list of chargebacks: staff cases opened by `charge.dispute.created`."""

    class Meta:
        proxy = True
