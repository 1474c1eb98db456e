from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from bookings.models import (
    MAX_MODERATION_REASON_LENGTH,
    Booking,
    BookingEvent,
    Message,
    Offer,
    RescheduleProposal,
    Review,
    ReviewModeration,
)
from bookings.services import booking_transition, review_hide, review_unhide
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


class ModerationForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_MODERATION_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Recorded with the decision. When hiding, the author is emailed this reason.",
    )


class ReviewModerationInline(admin.TabularInline):
    """Every hide and unhide, with who decided and why: the review's audit trail."""

    model = ReviewModeration
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "staff", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class _NullDateFilter(admin.SimpleListFilter):
    """Yes/no on whether a date field is set."""

    field = ""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class PublishedFilter(_NullDateFilter):
    title, parameter_name, field = "published", "published", "published_at"


class HiddenFilter(_NullDateFilter):
    title, parameter_name, field = "hidden by staff", "hidden", "hidden_at"


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Reviews are read-only here: staff hide or show one again with a reason (an action with a
    confirmation page), through bookings.services, which records it and tells the author."""

    list_display = ["created_at", "rating", "author", "subject", "booking_link", "published", "hidden"]
    list_filter = [PublishedFilter, HiddenFilter, "rating", "created_at"]
    search_fields = [
        "comment",
        "reply",
        "author__email",
        "author__display_name",
        "subject__email",
        "subject__display_name",
        "booking__public_id",
    ]
    list_select_related = ["author", "subject", "booking"]
    readonly_fields = [f.name for f in Review._meta.fields]
    inlines = [ReviewModerationInline]
    actions = ["hide_reviews", "unhide_reviews"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Booking")
    def booking_link(self, review: Review) -> str:
        url = reverse("admin:bookings_booking_change", args=[review.booking_id])
        return format_html('<a href="{}">{}</a>', url, review.booking.reference)

    @admin.display(boolean=True, description="Published", ordering="published_at")
    def published(self, review: Review) -> bool:
        return review.published_at is not None

    @admin.display(boolean=True, description="Hidden", ordering="hidden_at")
    def hidden(self, review: Review) -> bool:
        return review.hidden_at is not None

    @admin.action(
        description="Hide from public pages (asks for a reason; the author is emailed)", permissions=["change"]
    )
    def hide_reviews(self, request, queryset):
        return self._moderate(request, queryset, hide=True)

    @admin.action(description="Show again (asks for a reason)", permissions=["change"])
    def unhide_reviews(self, request, queryset):
        return self._moderate(request, queryset, hide=False)

    def _moderate(self, request, queryset, *, hide: bool):
        """First a confirmation page asking for the reason; on its submit, each review through the
        service. Reviews already in the asked state are left as they are."""
        form = ModerationForm(data=request.POST if request.POST.get("confirm") else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Hide reviews" if hide else "Show reviews again",
                "opts": self.model._meta,
                "reviews": queryset.select_related("author", "subject", "booking"),
                "form": form,
                "hide": hide,
                "action": "hide_reviews" if hide else "unhide_reviews",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "media": self.media,
            }
            return TemplateResponse(request, "admin/bookings/review/moderate.html", context)
        service = review_hide if hide else review_unhide
        done = 0
        for review in queryset:
            try:
                done += service(review=review, staff=request.user, reason=form.cleaned_data["reason"])
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{review}: {exc}", level=messages.ERROR)
        self.message_user(request, f"{done} review(s) {'hidden' if hide else 'shown again'}.")
        return None
