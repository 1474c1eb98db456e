"""Booking pages: request a booking, my bookings, the booking page, its action buttons and its
messages. Each page reads one selector (the booking page: `booking_card`) and writes through one
service."""

import hashlib
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from bookings.attachments import attachment_response
from bookings.forms import (
    ActionNoteForm,
    BookingForm,
    MessageForm,
    OfferForm,
    PickDateForm,
    ReplyForm,
    RescheduleForm,
    ReviewForm,
)
from bookings.models import MAX_NOTE_LENGTH, Booking, BookingEvent, Review
from bookings.selectors import (
    BookingCard,
    attachment_get_for_user,
    booking_card,
    booking_get_for_user,
    booking_list_for_user,
    booking_rows,
)
from bookings.services import (
    SlotTaken,
    booking_request,
    booking_transition,
    message_create,
    offer_open_for,
    offer_send,
    reschedule_propose,
    review_create,
    review_reply,
    thread_mark_read,
)
from bookings.state_machine import ACTIONS_BY_NAME, State
from bookings.terms import booking_terms, policy_lines
from calendars.selectors import Slots, provider_has_hours, service_slots
from catalog.forms import date_from_link
from catalog.models import Service
from catalog.pricing import Quote, quote
from catalog.selectors import service_get_public
from catalog.templatetags.catalog_tags import money
from gigsta.errors import DomainError
from gigsta.forms import add_service_errors, form_submit, refusal_words
from inbox.services import notifications_read_for_booking

STALE_HINT = "The booking may have changed elsewhere; here is what you can do now."
TABS = {
    "upcoming": ("Upcoming", [State.REQUESTED, State.OFFERED, State.ACCEPTED, State.DEPOSIT_PAID, State.CONFIRMED]),
    "past": ("Past", [State.COMPLETED, State.REFUNDED]),
    "disputed": ("Disputed", [State.DISPUTED]),
    "closed": ("Cancelled and declined", [State.CANCELLED, State.DECLINED, State.EXPIRED]),
}


def _bookable(request: HttpRequest, service_id: UUID) -> Service:
    service = service_get_public(public_id=service_id)
    if not request.user.is_client or service.provider_id == request.user.pk:
        raise PermissionDenied("Only client accounts can book services.")
    return service


@login_required
@require_http_methods(["GET", "POST"])
def booking_new(request: HttpRequest, service_id: UUID) -> HttpResponse:
    """The booking form. When the provider has working hours, the client first picks a date (a GET,
    as from search's `?date=`) and then one of its free start times; otherwise any time is typed."""
    service = _bookable(request, service_id)
    picker = provider_has_hours(provider_id=service.provider_id)
    asked = request.POST if request.method == "POST" else request.GET
    # A date carried from search and the service page (`?date=`) fills the form in; a bad one is ignored.
    day = date_from_link(asked.get("date"))
    duration = _minutes(asked.get("duration_minutes")) or service.duration_minutes
    slots = _slots(service, day, duration) if picker else None
    initial = {"date": day, "duration_minutes": duration} if day else {}
    initial.update({k: asked[k] for k in ("venue", "message") if request.method == "GET" and asked.get(k)})
    form = BookingForm(
        data=request.POST if request.method == "POST" else None,
        service=service,
        initial=initial,
        slots=slots,
        picker=picker,
    )
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("starts_at", "duration_minutes", "venue", "message")}
        booking = form_submit(
            form, booking_request, client=request.user, service=service, **data,
            rename={"starts_at": "start_time" if picker else "date"}, hint="Try another date or time.",
        )  # fmt: skip
        if booking is not None:
            who, price = service.provider.display_name, money(booking.price_minor, booking.currency)
            messages.success(request, f"Request sent to {who} for {price}. You will hear back soon.")
            return redirect("bookings:detail", booking_id=booking.public_id)
    # What a request agrees to besides its price: how it is paid, the deposit, the policy.
    terms = Booking(service=service, **booking_terms(service, service.duration_minutes))
    context = {
        "form": form,
        "pick_form": PickDateForm(initial=initial, service=service) if picker else None,
        "slots": slots,
        "day": day,
        "service": service,
        "terms": terms,
        "policy": policy_lines(terms),
        "quote": _quote(service, duration if picker else form["duration_minutes"].value()),
    }
    return render(request, "bookings/booking_form.html", context)


def _minutes(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _slots(service: Service, day, duration: int) -> Slots | None:
    """The free starts of `day` for the picker; None without a date, or for a length the service
    does not take (the form says why when it is sent)."""
    if day is None:
        return None
    try:
        return service_slots(service=service, date=day, duration_minutes=duration, now=timezone.now())
    except ValidationError:
        return None


@login_required
@require_GET
def booking_price(request: HttpRequest, service_id: UUID) -> HttpResponse:
    """The booking form's price for the length typed so far (htmx, as the length changes)."""
    service = _bookable(request, service_id)
    context = {"service": service, "quote": _quote(service, request.GET.get("duration_minutes"))}
    return render(request, "bookings/booking_form.html#price", context)


def _quote(service: Service, duration) -> Quote | None:
    """The price for a length as typed; None when it is not a whole number of minutes."""
    try:
        return quote(service, int(duration))
    except (TypeError, ValueError, OverflowError):
        return None


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
    rows = booking_rows(bookings=page, user=request.user, now=timezone.now())
    context = {"tabs": [(key, label) for key, (label, _) in TABS.items()], "tab": tab, "page": page, "rows": rows}
    return render(request, "bookings/booking_list.html", context)


def _card_for(request: HttpRequest, booking_id: UUID) -> BookingCard:
    booking = booking_get_for_user(user=request.user, public_id=booking_id)
    return booking_card(booking=booking, user=request.user, now=timezone.now())


def _etag(request: HttpRequest, card: BookingCard) -> str:
    # The card's forms carry CSRF tokens made from the cookie: a new cookie is a new card.
    get_token(request)
    return '"' + hashlib.sha256((card.version + request.META["CSRF_COOKIE"]).encode()).hexdigest()[:24] + '"'


@login_required
@require_GET
@vary_on_headers("HX-Request")
def booking_detail(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    """The booking page; its card polls this URL with htmx, and each changed answer brings the
    thread and the contact details too. Nearly every poll finds nothing new: the browser
    revalidates with If-None-Match, and an unchanged card costs the reads that tell, without
    rendering it."""
    card = _card_for(request, booking_id)
    if not request.htmx or request.htmx.history_restore_request:
        return _page(request, card, MessageForm())
    etag = _etag(request, card)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:  # the card, and beside it out of band the thread, contact details, price and times
        response = _thread_read(request, card, render(request, "bookings/booking_detail.html#poll", _context(card)))
    response["ETag"], response["Cache-Control"] = etag, "private, no-cache"
    return response


def _page(request: HttpRequest, card: BookingCard, message_form: MessageForm) -> HttpResponse:
    notifications_read_for_booking(user=request.user, booking=card.booking)  # before the nav counts them
    context = _context(card, message_form=message_form)
    return _thread_read(request, card, render(request, "bookings/booking_detail.html", context))


def _thread_read(request: HttpRequest, card: BookingCard, response: HttpResponse) -> HttpResponse:
    """The reader has now seen every message the response showed."""
    newest = card.messages[-1].created_at if card.messages else None
    thread_mark_read(booking=card.booking, user=request.user, upto=newest)
    return response


@login_required
@require_POST
def booking_message(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    """Write in the booking's thread. htmx gets the thread again (with an empty form, or the
    form and what is wrong with it); a plain POST is redirected to the thread."""
    card = _card_for(request, booking_id)
    form = MessageForm(data=request.POST, files=request.FILES)
    sent = form.is_valid() and form_submit(
        form, message_create, booking=card.booking, author=request.user, **form.cleaned_data
    )
    if sent and not request.htmx:
        return redirect(reverse("bookings:detail", args=[booking_id]) + "#thread")
    message_form = MessageForm() if sent else form
    if request.htmx:
        context = {"card": card, "message_form": message_form}
        return _thread_read(request, card, render(request, "bookings/booking_detail.html#thread", context))
    return _page(request, card, message_form)


@login_required
@require_GET
def booking_attachment(request: HttpRequest, booking_id: UUID, attachment_id: UUID) -> HttpResponse:
    """A file of the thread, to the parties and staff only."""
    attachment = attachment_get_for_user(user=request.user, booking_id=booking_id, attachment_id=attachment_id)
    return attachment_response(attachment)


@login_required
@require_POST
def booking_review(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    card = _card_for(request, booking_id)
    form = ReviewForm(data=request.POST)
    review = form.is_valid() and form_submit(
        form, review_create, booking=card.booking, author=request.user, **form.cleaned_data
    )
    if review:
        messages.success(request, "Thank you: " + review_posted_words(review, card))
        return redirect(reverse("bookings:detail", args=[booking_id]) + "#booking-reviews")
    if form.non_field_errors():  # refused (not completed, reviewed already): nothing to correct
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect("bookings:detail", booking_id=booking_id)
    context = _context(card, review_form=form if card.may_review else None, message_form=MessageForm())
    return render(request, "bookings/booking_detail.html", context)


def review_posted_words(review: Review, card: BookingCard) -> str:
    """What happens to a review just posted, for its author."""
    if review.published_at is not None:
        return "your review and theirs are published."
    other = card.booking.provider if review.author_id == card.booking.client_id else card.booking.client
    when = date_format(localtime(card.review_publish_at), "l j F Y")
    return f"your review will be published when {other.display_name} has reviewed or on {when}."


@login_required
@require_POST
def booking_review_reply(request: HttpRequest, booking_id: UUID, review_id: int) -> HttpResponse:
    """The reviewed party answers a published review, once. Refusals and errors come back as a
    message on the booking page (the form is a textarea and a button)."""
    card = _card_for(request, booking_id)
    review = next((r for r in card.reviews if r.pk == review_id), None)
    if review is None:
        raise Http404("No such review.")
    form = ReplyForm(data=request.POST)
    if form.is_valid() and form_submit(form, review_reply, review=review, author=request.user, **form.cleaned_data):
        messages.success(request, "Your reply is published under the review.")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(reverse("bookings:detail", args=[booking_id]) + "#booking-reviews")


@login_required
@require_POST
def booking_action(request: HttpRequest, booking_id: UUID, action: str) -> HttpResponse:
    """Take one action. htmx gets the re-rendered card; a plain POST is redirected back.
    An action that is no longer possible (changed in another tab) shows why, with the
    buttons that are possible now."""
    if (confirm := _confirmation_page(request, booking_id, action)) is not None:
        return confirm
    booking = booking_get_for_user(user=request.user, public_id=booking_id)
    problem, event = _action_take(request, booking, action)
    return _answer(request, booking_id, problem, event)


def _confirmation_page(request: HttpRequest, booking_id: UUID, action: str) -> HttpResponse | None:
    """A critical action (cancel, decline, withdraw, report a problem) asked without JavaScript
    gets a page that says what it will do, with the note kept, before it is taken; htmx asks
    in the browser first (hx-confirm) and is taken at once."""
    if request.htmx or request.POST.get("confirmed") == "yes":
        return None
    definition = ACTIONS_BY_NAME.get(action)
    if definition is None or not definition.is_critical:
        return None
    card = _card_for(request, booking_id)
    offered = next((a for a in card.buttons if a.name == action), None)
    if offered is None:  # not possible (any more): the usual refusal, on the booking page
        return None
    context = {"card": card, "a": offered, "note": request.POST.get("note", "")[:MAX_NOTE_LENGTH]}
    return render(request, "bookings/action_confirm.html", context)


def _answer(request: HttpRequest, booking_id: UUID, problem: str | None, event: BookingEvent | None) -> HttpResponse:
    """After an action or an offer: htmx gets the re-rendered card; a plain POST is redirected back."""
    if request.htmx:
        card = _card_for(request, booking_id)
        response = _card_fragment(request, _context(card, problem=problem))
        return trigger_client_event(response, "bookingChanged") if problem is None else response
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, f"Done: {event.note}")
    return redirect("bookings:detail", booking_id=booking_id)


@login_required
@require_POST
def booking_offer(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    """The provider sends an offer, or revises theirs. Field errors come back on the form (the
    card for htmx, the page without JavaScript); a refusal (the booking moved on) is said like
    a stale action's."""
    card = _card_for(request, booking_id)
    if card.role != "provider":
        raise PermissionDenied("Only the provider of a booking can send an offer.")
    form = _offer_form(card, data=request.POST)
    if not form.is_valid():
        return _offer_form_again(request, card, form)
    try:
        _, event = offer_send(booking=card.booking, actor=request.user, **form.terms())
    except ValidationError as exc:
        add_service_errors(form, exc, rename={"price_minor": "price"})
        return _offer_form_again(request, card, form)
    except DomainError as exc:
        return _answer(request, booking_id, refusal_words(exc, STALE_HINT), None)
    return _answer(request, booking_id, None, event)


def _offer_form_again(request: HttpRequest, card: BookingCard, form: OfferForm) -> HttpResponse:
    """The card (htmx) or the whole page with the offer form's errors; status 200 so htmx swaps it."""
    return _form_again(request, card, offer_form=form)


def _form_again(request: HttpRequest, card: BookingCard, **form) -> HttpResponse:
    """The card (htmx) or the whole page with a form's errors; status 200 so htmx swaps it."""
    if request.htmx:
        return _card_fragment(request, _context(card, **form))
    return render(request, "bookings/booking_detail.html", _context(card, **form))


@login_required
@require_POST
def booking_reschedule(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    """A party proposes a new time for the gig. Field errors, a taken slot or a blocked day come
    back on the form (the card for htmx, the page without JavaScript), with nothing changed; a
    refusal because the booking moved on is said like a stale action's."""
    card = _card_for(request, booking_id)
    if card.role == "staff":
        raise PermissionDenied("Only the client and the provider of a booking can propose a new time.")
    form = RescheduleForm(data=request.POST, booking=card.booking)
    if not form.is_valid():
        return _form_again(request, card, reschedule_form=form)
    data = form.cleaned_data
    try:
        _, event = reschedule_propose(
            booking=card.booking, actor=request.user, starts_at=data["starts_at"], note=data["note"]
        )
    except ValidationError as exc:
        add_service_errors(form, exc, rename={"starts_at": "date"})
        return _form_again(request, card, reschedule_form=form)
    except SlotTaken as exc:  # the time asked for is the problem, not the booking: said on the form
        form.add_error(None, f"{exc} Try another date or time.")
        return _form_again(request, card, reschedule_form=form)
    except DomainError as exc:
        return _answer(request, booking_id, refusal_words(exc, STALE_HINT), None)
    return _answer(request, booking_id, None, event)


def _offer_form(card: BookingCard, data=None) -> OfferForm:
    return OfferForm(data=data, booking=card.booking, now=card.now, open_for=offer_open_for())


def _card_fragment(request: HttpRequest, context: dict) -> HttpResponse:
    """The card, for htmx to swap; with it, out of band, the booking's price and times shown
    outside the card, which an accepted offer changes, and the reviews (a completed booking
    brings the review form)."""
    parts = [
        render_to_string(f"bookings/booking_detail.html#{name}", {**context, "oob": name != "card"}, request=request)
        for name in ("card", "terms-head", "terms-details", "reviews")
    ]
    return HttpResponse("".join(parts))


def _context(card: BookingCard, **extra) -> dict:
    """The booking template's context: the card, and the offer, review and new-time forms when
    the reader may use them."""
    context = {"card": card, **extra}
    if card.may_offer and context.get("offer_form") is None:
        context["offer_form"] = _offer_form(card)
    if card.may_review and context.get("review_form") is None:
        context["review_form"] = ReviewForm()
    if card.may_reschedule and context.get("reschedule_form") is None:
        context["reschedule_form"] = RescheduleForm(booking=card.booking)
    return context


def _action_take(request: HttpRequest, booking: Booking, action: str) -> tuple[str | None, BookingEvent | None]:
    """Take the action; returns what went wrong in words (or None) and the event."""
    form = ActionNoteForm(data=request.POST)
    if not form.is_valid():
        return f"Keep the note under {MAX_NOTE_LENGTH:,} characters.", None
    try:
        _, event = booking_transition(
            booking=booking, action=action, actor=request.user, note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        return refusal_words(exc, STALE_HINT), None
    except ValidationError as exc:  # an action that needs what a button cannot give (a note, an amount)
        return " ".join(exc.messages), None
    return None, event
