"""Payments, the ledger and webhook deliveries, read-only: staff move money only through the
booking's lifecycle actions (Bookings → resolve_refund), which record and send refunds."""

from django.contrib import admin

from bookings.admin import BookingAdmin
from bookings.models import Booking
from payments.models import Payment, PaymentEvent, WebhookEvent


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
    fields = ["created_at", "kind", "amount_minor", "note", "actor", "provider_reference", "booking_event"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "booking", "kind", "method", "amount_minor", "fee_minor", "currency", "status"]
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


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "amount_minor", "payment", "note"]
    list_filter = ["kind"]
    search_fields = ["payment__public_id", "provider_reference", "idempotency_key"]
    list_select_related = ["payment"]
    date_hierarchy = "created_at"


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
    fields = ["created_at", "kind", "method", "amount_minor", "fee_minor", "status"]
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
