"""Payments, the ledger and webhook deliveries, read-only: staff move money only through the
booking's lifecycle actions (a dispute's resolutions on the booking's admin page), which record and send refunds."""

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from bookings.admin import BookingAdmin
from bookings.models import Booking
from catalog.templatetags.catalog_tags import money
from payments.models import Chargeback, Payment, PaymentEvent, PayoutAccount, WebhookEvent


@admin.display(description="amount", ordering="amount_minor")
def amount(obj) -> str:
    """A payment's or a ledger line's amount as money: "€1,200.50"."""
    currency = obj.currency if isinstance(obj, Payment) else obj.payment.currency
    return money(obj.amount_minor, currency)


@admin.display(description="GigSta fee", ordering="fee_minor")
def fee(payment: Payment) -> str:
    return money(payment.fee_minor, payment.currency)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    fk_name = "payment"
    extra = 0
    fields = ["created_at", "kind", amount, "note", "actor", "provider_reference", "booking_event"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "booking", "kind", "method", amount, fee, "status"]
    list_filter = ["status", "method", "kind", "currency"]
    search_fields = [
        "public_id",
        "provider_reference",
        "payment_intent",
        "booking__public_id",
        "booking__client__email",
    ]
    list_select_related = ["booking__service"]
    date_hierarchy = "created_at"
    inlines = [PaymentEventInline]
    exclude = ["amount_minor", "fee_minor"]
    readonly_fields = [amount, fee]


class UnsettledFilter(admin.SimpleListFilter):
    """Refunds and payouts decided but not yet sent: what a failing task left for a person."""

    title = "not yet sent"
    parameter_name = "unsent"

    def lookups(self, request, model_admin):
        return [("payout", "Payouts due, not sent"), ("refund", "Refunds due, not sent")]

    def queryset(self, request, queryset):
        kinds = {"payout": PaymentEvent.Kind.PAYOUT_DUE, "refund": PaymentEvent.Kind.REFUND_DUE}
        if self.value() in kinds:
            return queryset.filter(kind=kinds[self.value()], settled_by__isnull=True)
        return queryset


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", amount, "payment", "note"]
    list_filter = [UnsettledFilter, "kind"]
    search_fields = ["payment__public_id", "provider_reference", "idempotency_key"]
    list_select_related = ["payment"]
    date_hierarchy = "created_at"
    exclude = ["amount_minor"]
    readonly_fields = [amount]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "outcome"]
    list_filter = ["type"]
    search_fields = ["event_id", "payment__public_id"]


class PaymentInline(admin.TabularInline):
    """The booking's payments; their ledger is under Payments."""

    model = Payment
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["created_at", "kind", "method", amount, fee, "status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# A booking's page shows its payments too; payments builds on bookings, so it adds them here.
admin.site.unregister(Booking)


@admin.register(Booking)
class BookingWithPaymentsAdmin(BookingAdmin):
    inlines = [*BookingAdmin.inlines, PaymentInline]


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ["provider", "status", "stripe_account_id", "requirements", "problem", "updated_at"]
    list_filter = ["status"]
    search_fields = ["provider__email", "stripe_account_id"]


@admin.register(Chargeback)
class ChargebackAdmin(ReadOnlyAdmin):
    """Staff cases: chargebacks, open ones first and oldest first. An open one freezes the payout;
    answer it with evidence in the Stripe dashboard."""

    list_display = ["created_at", "age", "booking", amount, "outcome", "provider_reference"]
    list_select_related = ["payment__booking__service"]
    search_fields = ["provider_reference", "payment__booking__public_id"]
    exclude = ["amount_minor"]
    readonly_fields = [amount]

    def get_queryset(self, request):
        closed = PaymentEvent.objects.filter(
            kind__in=[PaymentEvent.Kind.CHARGEBACK_WON, PaymentEvent.Kind.CHARGEBACK_LOST]
        ).values("provider_reference")
        return (
            super()
            .get_queryset(request)
            .filter(kind=PaymentEvent.Kind.CHARGEBACK)
            .annotate(is_closed=Q(provider_reference__in=closed))
            .order_by("is_closed", "created_at")
        )

    @admin.display(description="booking")
    def booking(self, obj) -> str:
        return str(obj.payment.booking)

    @admin.display(description="age")
    def age(self, obj) -> str:
        return f"{(timezone.now() - obj.created_at).days} days"

    @admin.display(description="outcome")
    def outcome(self, obj) -> str:
        return "closed" if obj.is_closed else "open: payout frozen"
