from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from bookings.models import Booking, BookingEvent, Message, Offer, RescheduleProposal
from bookings.services import booking_transition
from bookings.state_machine import ActionName
from gigsta.errors import DomainError


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "from_state", "to_state", "actor", "source", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OfferInline(admin.TabularInline):
    """Every offer the provider sent, oldest first; the one on the table is Booking.offer."""

    model = Offer
    extra = 0
    can_delete = False
    fields = ["created_at", "price_minor", "currency", "duration_minutes", "deposit_percent", "expires_at", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RescheduleInline(admin.TabularInline):
    """Every new time a party proposed and what became of it, oldest first; an open one is
    Booking.reschedule."""

    model = RescheduleProposal
    extra = 0
    can_delete = False
    fields = ["created_at", "proposed_by", "was_starts_at", "starts_at", "ends_at", "state", "decided_at", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class MessageInline(admin.TabularInline):
    """The booking's thread, as the parties wrote it: evidence in a dispute, never edited here.
    Staff write to the parties on the booking page, where it shows as from GigSta staff."""

    model = Message
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "as_staff", "body", "files"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author", "booking").prefetch_related("attachments")

    @admin.display(description="Files")
    def files(self, message: Message) -> str:
        links = (
            (reverse("bookings:attachment", args=[message.booking.public_id, a.public_id]), a.name)
            for a in message.attachments.all()
        )
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>', links) or "—"


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """State is read-only here: staff change it only through the lifecycle's staff actions."""

    list_display = ["service", "client", "provider", "state", "starts_at", "price_minor", "currency"]
    list_filter = ["state", "starts_at"]
    date_hierarchy = "starts_at"
    search_fields = ["public_id", "service__title", "client__email", "provider__email"]
    list_select_related = ["service", "client", "provider"]
    readonly_fields = [f.name for f in Booking._meta.fields]
    inlines = [OfferInline, RescheduleInline, BookingEventInline, MessageInline]
    actions = ["resolve_release", "resolve_refund"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _resolve(self, request, queryset, action: str) -> None:
        done = 0
        for booking in queryset:
            try:
                booking_transition(booking=booking, action=action, actor=request.user, source="admin")
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{booking}: {exc}", level=messages.WARNING)
        self.message_user(request, f"{done} booking(s) updated.")

    @admin.action(description="Resolve dispute: release payment to the provider")
    def resolve_release(self, request, queryset):
        self._resolve(request, queryset, ActionName.RESOLVE_RELEASE)

    @admin.action(description="Resolve dispute: refund the client in full (card refunds are sent to Stripe)")
    def resolve_refund(self, request, queryset):
        self._resolve(request, queryset, ActionName.RESOLVE_REFUND)
