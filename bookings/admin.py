"""Staff's view of bookings. State is read-only here: staff change it only through the
lifecycle's staff actions (the dispute resolutions), each from its own confirmation page with a
note (`resolve_view`), through bookings.services.booking_transition like every other change."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from bookings.models import (
    MAX_MODERATION_REASON_LENGTH,
    MAX_NOTE_LENGTH,
    Booking,
    BookingEvent,
    Message,
    Offer,
    RescheduleProposal,
    Review,
    ReviewModeration,
)
from bookings.selectors import money_of
from bookings.services import booking_context, booking_transition, review_hide, review_unhide
from bookings.state_machine import ACTIONS_BY_NAME, ActionName, State, get_transition
from catalog.templatetags.catalog_tags import money
from gigsta.errors import DomainError
from gigsta.forms import refusal_words

# Shown as money instead (BookingAdmin.price, .fee): the price with its currency, the fee as a
# percentage, never minor units and basis points.
AS_MONEY = ["price_minor", "currency", "fee_bps"]
# The staff actions that resolve a dispute, in the order the change page offers them.
RESOLUTIONS = (ActionName.RESOLVE_RELEASE, ActionName.RESOLVE_REFUND, ActionName.RESOLVE_PARTIAL)


def fee_words(fee_bps: int) -> str:
    """1000 basis points -> "10 %"; 1250 -> "12.5 %"."""
    return f"{fee_bps / 100:g} %"


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "from_state", "to_state", "actor", "source", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")  # one query however long the history


class OfferInline(admin.TabularInline):
    """Every offer the provider sent, oldest first; the one on the table is Booking.offer."""

    model = Offer
    extra = 0
    can_delete = False
    fields = ["created_at", "price", "duration_minutes", "deposit_percent", "expires_at", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="price")
    def price(self, offer: Offer) -> str:
        return money(offer.price_minor, offer.currency)


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


class DisputeFilter(admin.SimpleListFilter):
    """Staff's queue: the bookings waiting for a dispute to be resolved, oldest dispute first
    (the ordering is BookingAdmin.get_ordering's)."""

    title = "dispute"
    parameter_name = "dispute"

    def lookups(self, request, model_admin):
        return [("open", "Open disputes")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(state=State.DISPUTED)
        return queryset


def _dispute_opened_at():
    """When the booking's latest dispute was opened (None if never): for the queue's age column."""
    disputes = BookingEvent.objects.filter(booking=OuterRef("pk"), action=ActionName.DISPUTE).order_by("-created_at")
    return Subquery(disputes.values("created_at")[:1])


def dispute_age_words(opened_at: dt.datetime, now: dt.datetime) -> str:
    """ "opened 2 Dec 2026, 14:05 — 3 days open" """
    days = (now - opened_at).days
    return f"opened {timezone.localtime(opened_at):%-d %b %Y, %H:%M} — {days} day{'' if days == 1 else 's'} open"


class ResolveForm(forms.Form):
    """What staff confirm a resolution with: always a note; for part back, the amount."""

    amount = forms.DecimalField(
        label="Refund to the client",
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text="In the booking's currency, e.g. 120.50.",
    )
    note = forms.CharField(
        label="Note",
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Why you decided so. Kept in the booking's history; both parties see it.",
    )

    def __init__(self, *args, takes_amount: bool, refundable_minor: int, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.refundable_minor, self.currency = refundable_minor, currency
        if not takes_amount:
            del self.fields["amount"]

    def clean_amount(self) -> int:
        minor = int(self.cleaned_data["amount"] * 100)
        if minor > self.refundable_minor:
            raise ValidationError(
                f"Refund at most {money(self.refundable_minor, self.currency)}: what the client paid and keeps paid."
            )
        return minor


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """State is read-only here: staff change it only through the lifecycle's staff actions, each
    from a confirmation page with a note (`resolve_view`)."""

    list_display = ["service", "client", "provider", "state", "dispute_age", "starts_at", "price"]
    list_filter = [DisputeFilter, "state", "starts_at"]
    date_hierarchy = "starts_at"
    search_fields = ["public_id", "service__title", "client__email", "provider__email"]
    list_select_related = ["service", "client", "provider"]
    exclude = AS_MONEY
    readonly_fields = [
        *(f.name for f in Booking._meta.fields if f.name not in ("id", *AS_MONEY)),
        "price",
        "fee",
    ]
    inlines = [OfferInline, RescheduleInline, BookingEventInline, MessageInline]
    change_form_template = "admin/bookings/booking/change_form.html"
    actions = None  # every resolution has its confirmation page: none is taken from the list

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        # Annotated before ordering: the queue is ordered by the annotation (get_ordering).
        qs = self.model._default_manager.get_queryset().annotate(dispute_opened_at=_dispute_opened_at())
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_ordering(self, request):
        if request.GET.get(DisputeFilter.parameter_name) == "open":
            return ["dispute_opened_at"]  # the queue: the oldest dispute first
        return super().get_ordering(request)

    @admin.display(description="dispute", ordering="dispute_opened_at")
    def dispute_age(self, booking: Booking) -> str:
        if booking.state != State.DISPUTED or booking.dispute_opened_at is None:
            return "—"
        return dispute_age_words(booking.dispute_opened_at, timezone.now())

    @admin.display(description="price", ordering="price_minor")
    def price(self, booking: Booking) -> str:
        return money(booking.price_minor, booking.currency)

    @admin.display(description="GigSta fee")
    def fee(self, booking: Booking) -> str:
        return f"{fee_words(booking.fee_bps)} of what the provider keeps"

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        booking = self.get_object(request, object_id)
        extra = {
            # Everything shown here is read-only: no Save buttons.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            **(extra_context or {}),
        }
        if booking is not None:
            extra.update(self._dispute_context(request, booking))
        return super().change_view(request, object_id, form_url, extra)

    def _dispute_context(self, request: HttpRequest, booking: Booking) -> dict:
        """The dispute panel: the client's words, the money, and a link per resolution staff may take."""
        dispute = booking.events.filter(action=ActionName.DISPUTE).order_by("-created_at").first()
        if dispute is None:
            return {}
        now = timezone.now()
        resolutions = []
        if booking.state == State.DISPUTED and self.has_change_permission(request, booking):
            resolutions = [
                (ACTIONS_BY_NAME[name], reverse("admin:bookings_booking_resolve", args=[booking.pk, name]))
                for name in RESOLUTIONS
            ]
        return {
            "dispute": dispute,
            "dispute_age": dispute_age_words(dispute.created_at, now),
            "money": money_of(booking, now),
            "resolutions": resolutions,
        }

    def get_urls(self):
        resolve = self.admin_site.admin_view(self.resolve_view)
        return [
            path("<path:object_id>/resolve/<str:action>/", resolve, name="bookings_booking_resolve"),
            *super().get_urls(),
        ]

    def resolve_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """Confirm one resolution of a dispute: what it does with the money, for this booking, and
        a note (and, for part back, the amount). POST takes it through booking_transition."""
        if action not in RESOLUTIONS:
            raise Http404("No such resolution.")
        booking = get_object_or_404(Booking.objects.select_related("service", "client", "provider"), pk=object_id)
        if not self.has_change_permission(request, booking):
            raise PermissionDenied
        spec = ACTIONS_BY_NAME[action]
        money_now = money_of(booking, timezone.now())
        form_args = {
            "takes_amount": spec.takes_amount,
            "refundable_minor": money_now.kept,
            "currency": booking.currency,
        }
        problem = None
        try:
            get_transition(booking, request.user, action, booking_context())
        except DomainError as exc:
            problem = refusal_words(exc, "")
        form = ResolveForm(request.POST if request.method == "POST" else None, **form_args)
        if request.method == "POST" and problem is None and form.is_valid():
            done = self._resolve(request, booking, action, form)
            if done:
                return redirect("admin:bookings_booking_change", booking.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{spec.button_label}: {booking}",
            "booking": booking,
            "action": spec,
            "form": form,
            "problem": problem,
            "money": money_now,
            "fee_percent": fee_words(booking.fee_bps),
            "payout_due_now": booking.payout_release_at <= timezone.now(),
            "change_url": reverse("admin:bookings_booking_change", args=[booking.pk]),
        }
        return TemplateResponse(request, "admin/bookings/booking/resolve.html", context)

    def _resolve(self, request: HttpRequest, booking: Booking, action: str, form: ResolveForm) -> bool:
        """Take the resolution; a refusal (the booking moved on, too much to refund) lands on the form."""
        try:
            _, event = booking_transition(
                booking=booking,
                action=action,
                actor=request.user,
                note=form.cleaned_data["note"],
                source=BookingEvent.Source.ADMIN,
                amount_minor=form.cleaned_data.get("amount"),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                name = {"amount_minor": "amount"}.get(field, field)
                form.add_error(name if name in form.fields else None, errors)
            return False
        except DomainError as exc:
            form.add_error(None, refusal_words(exc, ""))
            return False
        self.message_user(request, f"Done: {event.note}", level=messages.SUCCESS)
        return True


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
