"""Booking pages: request a booking, my bookings, the booking page and its action buttons."""

import hashlib
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from bookings.forms import ActionNoteForm, BookingForm, ReviewForm
from bookings.models import Booking, BookingEvent
from bookings.selectors import booking_get_for_user, booking_list_for_user, party_of
from bookings.services import (
    ReviewNotAllowed,
    SlotTaken,
    booking_context,
    booking_request,
    booking_terms,
    booking_transition,
    review_create,
)
from bookings.state_machine import State, TransitionNotAllowed, UnknownAction, available_actions
from catalog.selectors import service_get_public
from gigsta.forms import add_service_errors
from payments.policy import policy_lines
from payments.selectors import booking_money

TABS = {
    "upcoming": ("Upcoming", [State.REQUESTED, State.ACCEPTED, State.DEPOSIT_PAID, State.CONFIRMED]),
    "past": ("Past", [State.COMPLETED, State.REFUNDED]),
    "disputed": ("Disputed", [State.DISPUTED]),
    "closed": ("Cancelled and declined", [State.CANCELLED, State.DECLINED, State.EXPIRED]),
}


@login_required
@require_http_methods(["GET", "POST"])
def booking_new(request: HttpRequest, service_id: UUID) -> HttpResponse:
    service = service_get_public(public_id=service_id)
    if not request.user.is_client or service.provider_id == request.user.pk:
        raise PermissionDenied("Only client accounts can book services.")
    form = BookingForm(data=request.POST if request.method == "POST" else None, service=service)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booking = booking_request(
                client=request.user,
                service=service,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                venue=data["venue"],
                message=data["message"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, rename={"starts_at": "date"})
        except SlotTaken as exc:
            form.add_error(None, f"{exc} Try another date or time.")
        else:
            messages.success(request, f"Request sent to {service.provider.display_name}. You will hear back soon.")
            return redirect("bookings:detail", booking_id=booking.public_id)
    terms = Booking(service=service, **booking_terms(service))  # what the request would agree to
    context = {"form": form, "service": service, "terms": terms, "policy": policy_lines(terms)}
    return render(request, "bookings/booking_form.html", context)


@login_required
@require_GET
def booking_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "upcoming")
    if tab not in TABS:
        tab = "upcoming"
    qs = booking_list_for_user(user=request.user).filter(state__in=TABS[tab][1])
    # Upcoming: the next gig first; every other tab: the most recent gig first.
    qs = qs.order_by("starts_at" if tab == "upcoming" else "-starts_at", "pk")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    context = {"tabs": [(key, label) for key, (label, _) in TABS.items()], "tab": tab, "page": page}
    return render(request, "bookings/booking_list.html", context)


def _card_context(request: HttpRequest, booking, money=None, actions=None, **extra) -> dict:
    if money is None:
        money = booking_money(booking)
    if actions is None:
        actions = available_actions(booking, request.user, booking_context())
    return {
        "booking": booking,
        "actions": actions,
        "events": _history(booking, money),
        "money": money,
        "role": party_of(booking, request.user),
        **extra,
    }


def _history(booking, money) -> list:
    """The booking's changes and its money in one list: money a change moved is shown under
    it (a cancellation and its refund); money that moved on its own (a card refund sent, a
    late payment) gets its own line."""
    events = list(booking.events.select_related("actor").order_by("created_at", "pk"))
    by_event = {}
    for entry in money.timeline:
        by_event.setdefault(entry.booking_event_id, []).append(entry)
    for event in events:
        # A cancellation refunding deposit and balance is one refund to read: one line per kind.
        lines: dict[str, dict] = {}
        for entry in by_event.get(event.pk, []):
            line = lines.setdefault(
                entry.kind,
                {"kind": entry.kind, "label": entry.get_kind_display(), "amount_minor": 0, "note": entry.note},
            )
            line["amount_minor"] += entry.amount_minor
        event.money_lines = list(lines.values())
    return sorted([*events, *by_event.get(None, [])], key=lambda e: e.created_at)


def _card_version(request: HttpRequest, booking, money, actions) -> str:
    """An ETag for the card: everything it shows that can change, including what only the
    clock changes (actions whose guards depend on the time, the refund a cancellation gives
    now). Equal versions mean an identical card."""
    last = money.entries[-1].pk if money.entries else 0
    profile = getattr(booking.provider, "provider_profile", None)
    parts = (
        request.user.pk,
        get_token(request) and request.META["CSRF_COOKIE"],  # the card's forms carry tokens made from it
        booking.state,
        booking.updated_at.isoformat(),
        booking.client.display_name,
        booking.provider.display_name,
        profile.updated_at.isoformat() if profile else "",
        len(money.entries),
        last,
        [a.name for a in actions],
        money.refund_percent_now,
        [(d.kind, d.amount_minor) for d in money.due_now],
    )
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:24] + '"'


@login_required
@require_GET
@vary_on_headers("HX-Request")
def booking_detail(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    booking = booking_get_for_user(user=request.user, public_id=booking_id)
    if request.htmx and not request.htmx.history_restore_request:
        # The card polls every few seconds while the booking can change; nearly every poll
        # finds nothing new. The browser revalidates its copy with If-None-Match, and an
        # unchanged card costs the two reads that tell, without rendering it.
        money = booking_money(booking)
        actions = available_actions(booking, request.user, booking_context())
        version = _card_version(request, booking, money, actions)
        if version in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
        else:
            context = _card_context(request, booking, money=money, actions=actions)
            response = render(request, "bookings/booking_detail.html#card", context)
        response["ETag"] = version
        response["Cache-Control"] = "private, no-cache"
        return response
    return render(request, "bookings/booking_detail.html", _page_context(request, booking))


def _page_context(request: HttpRequest, booking, review_form: ReviewForm | None = None) -> dict:
    reviews = list(booking.reviews.select_related("author", "subject"))
    may_review = (
        booking.state == State.COMPLETED
        and request.user.pk in (booking.client_id, booking.provider_id)
        and all(r.author_id != request.user.pk for r in reviews)
    )
    return _card_context(
        request, booking, reviews=reviews, review_form=(review_form or ReviewForm()) if may_review else None
    )


@login_required
@require_POST
def booking_review(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    booking = booking_get_for_user(user=request.user, public_id=booking_id)
    form = ReviewForm(data=request.POST)
    if form.is_valid():
        try:
            review_create(booking=booking, author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except (ReviewNotAllowed, PermissionDenied) as exc:
            messages.error(request, str(exc))
            return redirect("bookings:detail", booking_id=booking.public_id)
        else:
            messages.success(request, "Thank you: your review is posted.")
            return redirect("bookings:detail", booking_id=booking.public_id)
    return render(request, "bookings/booking_detail.html", _page_context(request, booking, review_form=form))


@login_required
@require_POST
def booking_action(request: HttpRequest, booking_id: UUID, action: str) -> HttpResponse:
    """Take one action. htmx gets the re-rendered card; a plain POST is redirected back.
    An action that is no longer possible (changed in another tab) shows why, with the
    buttons that are possible now."""
    booking = booking_get_for_user(user=request.user, public_id=booking_id)
    form = ActionNoteForm(data=request.POST)
    problem = None
    if not form.is_valid():
        problem = "Keep the note under 1,000 characters."
    else:
        try:
            booking = booking_transition(
                booking=booking,
                action=action,
                actor=request.user,
                note=form.cleaned_data["note"],
                source=BookingEvent.Source.WEB,
            )
        except (TransitionNotAllowed, SlotTaken) as exc:
            problem = f"{exc} The booking may have changed elsewhere; here is what you can do now."
        except UnknownAction:
            problem = "That action does not exist."
    booking.refresh_from_db()
    if request.htmx:
        response = render(
            request, "bookings/booking_detail.html#card", _card_context(request, booking, problem=problem)
        )
        return trigger_client_event(response, "bookingChanged") if problem is None else response
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, f"Done: {booking.events.last().note}")
    return redirect("bookings:detail", booking_id=booking.public_id)
