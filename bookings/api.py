import datetime as dt
import json
from uuid import UUID

import pydantic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from accounts.api import ErrorOut
from bookings.attachments import IMAGES, MAX_FILES, PDF, attachment_response
from bookings.models import (
    MAX_MESSAGE_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_REPLY_LENGTH,
    MAX_REVIEW_LENGTH,
    MAX_VENUE_LENGTH,
    MIN_OFFER_MINOR,
    BookingEvent,
    Offer,
)
from bookings.selectors import (
    BookingCard,
    attachment_get_for_user,
    booking_card,
    booking_get_for_user,
    booking_list_for_user,
    message_list_for_booking,
    review_list_for_provider,
)
from bookings.services import (
    booking_request,
    booking_transition,
    message_create,
    offer_send,
    reschedule_propose,
    review_create,
    review_reply,
    thread_mark_read,
)
from bookings.state_machine import ActionName, State
from catalog.models import MAX_DEPOSIT_PERCENT, MAX_DURATION_MINUTES, MAX_PRICE_MINOR, MIN_DURATION_MINUTES
from catalog.selectors import MAX_PAGE, MAX_PAGE_SIZE, provider_get_public, service_get_public
from gigsta.schemas import InputSchema

router = Router(tags=["bookings"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PartyOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    display_name: str


class ActionOut(Schema):
    action_name: str = Field(validation_alias="name")
    button_label: str
    note: str
    is_critical: bool
    starts_checkout: bool = Field(
        description="true: the action opens a card checkout (POST /api/bookings/{id}/checkout) "
        "instead of changing the state"
    )
    takes_terms: bool = Field(
        description="true: the action carries terms of its own (an offer: POST /api/bookings/{id}/offer; "
        "a new time: POST /api/bookings/{id}/reschedule or /actions/reschedule with starts_at)"
    )
    takes_amount: bool = Field(False, description="true: send `amount_minor` with the action (resolve_partial)")
    needs_note: bool = Field(False, description="true: the action is refused without a `note` (staff resolutions)")


class OfferOut(Schema):
    price_minor: int
    currency: str
    duration_minutes: int
    deposit_percent: int
    note: str
    expires_at: dt.datetime = Field(description="The client may accept until then; the offer expires at this time.")
    created_at: dt.datetime


class RescheduleOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime = Field(description="The booking keeps its length.")
    proposed_by: str = Field(description="client or provider: the other party accepts or declines it.")
    note: str
    created_at: dt.datetime


class ContactOut(Schema):
    display_name: str
    email: str
    phone: str = Field(description="Empty when they have not given one.")


class DeadlineOut(Schema):
    party: str = Field(description="Who must act: client or provider.")
    action_names: list[str] = Field(description="Their actions that answer it, as far as they are possible now.")
    at: dt.datetime = Field(description="When the booking expires unless they act.")


class BookingOut(Schema):
    """Read from bookings.selectors.BookingCard, as the booking page is."""

    id: UUID = Field(validation_alias="booking.public_id")
    state: str = Field(validation_alias="booking.state")
    service_id: UUID = Field(validation_alias="booking.service.public_id")
    client: PartyOut = Field(validation_alias="booking.client")
    provider: PartyOut = Field(validation_alias="booking.provider")
    starts_at: dt.datetime = Field(validation_alias="booking.starts_at")
    ends_at: dt.datetime = Field(validation_alias="booking.ends_at")
    venue: str = Field(validation_alias="booking.venue")
    message: str = Field(validation_alias="booking.message")
    price_minor: int = Field(validation_alias="booking.price_minor")
    currency: str = Field(validation_alias="booking.currency")
    payment_method: str = Field(
        validation_alias="booking.payment_method", description="manual (bank transfer or cash) or stripe (card)"
    )
    deposit_percent: int = Field(validation_alias="booking.deposit_percent")
    deposit_paid_early: bool = Field(
        validation_alias="booking.deposit_paid_early",
        description="Card bookings: a deposit paid on its own goes to the provider once captured, not after the gig.",
    )
    offer: OfferOut | None = Field(
        description="While `offered`: the provider's offer waiting for the client's answer; else null. "
        "`accept_offer` makes its price, length and deposit the booking's."
    )
    reschedule: RescheduleOut | None = Field(
        description="A new time one party proposed, waiting for the other's `accept_reschedule` or "
        "`decline_reschedule` (the proposer may `withdraw_reschedule`); null otherwise. Accepted, only "
        "the booking's times change."
    )
    actions: list[ActionOut] = Field(description="Exactly the actions the caller may take now.")
    deadline: DeadlineOut | None = Field(
        validation_alias="waiting",
        description="Who must act by when, while the booking waits for one party (requested, offered, accepted); "
        "null otherwise.",
    )
    contact: ContactOut | None = Field(
        description="The other party's email and phone once the booking is confirmed; null before, when the "
        "booking's messages (GET/POST /api/bookings/{id}/messages) are the way to reach each other."
    )

    @staticmethod
    def resolve_offer(card: BookingCard) -> Offer | None:
        return card.offer.offer if card.offer else None

    @staticmethod
    def resolve_reschedule(card: BookingCard) -> dict | None:
        if card.reschedule is None:
            return None
        proposal = card.reschedule.proposal
        by_client = proposal.proposed_by_id == card.booking.client_id
        fields = ("starts_at", "ends_at", "note", "created_at")
        return {**{f: getattr(proposal, f) for f in fields}, "proposed_by": "client" if by_client else "provider"}


class Page(InputSchema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


def _page_of(qs: QuerySet, page: Page) -> dict:
    """One page of `qs`: {items, count, page, page_size}."""
    start = (page.page - 1) * page.page_size
    return {"items": list(qs[start : start + page.page_size]), "count": qs.count(), **page.dict()}


class BookingListOut(Schema):
    items: list[BookingOut]
    count: int
    page: int
    page_size: int


class EventOut(Schema):
    action_name: str = Field(validation_alias="action")
    from_state: str
    to_state: str
    actor: PartyOut | None
    note: str
    created_at: dt.datetime


class BookingIn(InputSchema):
    service_id: UUID
    starts_at: dt.datetime = Field(description="ISO 8601 with offset, e.g. 2027-03-14T20:00:00+01:00")
    duration_minutes: int | None = None
    venue: str = Field(max_length=MAX_VENUE_LENGTH)
    message: str = Field("", max_length=MAX_MESSAGE_LENGTH)


class ActionIn(InputSchema):
    note: str = Field("", max_length=MAX_NOTE_LENGTH, description="Required by actions with `needs_note`.")
    amount_minor: int | None = Field(
        None,
        ge=1,
        le=MAX_PRICE_MINOR,
        description="Only for actions with `takes_amount` (resolve_partial: the refund to the client).",
    )
    starts_at: dt.datetime | None = Field(
        None, description="Only for `reschedule`, where it is required: the new time, ISO 8601 with offset."
    )


class RescheduleIn(InputSchema):
    starts_at: dt.datetime = Field(
        description="The new start, ISO 8601 with offset: in the future, at least BOOKING_RESCHEDULE_NOTICE_HOURS "
        "ahead, not the booking's own time. The booking keeps its length."
    )
    note: str = Field("", max_length=MAX_NOTE_LENGTH)


class OfferIn(InputSchema):
    price_minor: int = Field(ge=MIN_OFFER_MINOR, le=MAX_PRICE_MINOR)
    duration_minutes: int | None = Field(
        None, ge=MIN_DURATION_MINUTES, le=MAX_DURATION_MINUTES, description="Default: the length requested."
    )
    deposit_percent: int | None = Field(
        None, ge=0, le=MAX_DEPOSIT_PERCENT, description="Default: the booking's deposit; 0 takes no deposit."
    )
    note: str = Field("", max_length=MAX_NOTE_LENGTH)
    expires_at: dt.datetime | None = Field(
        None,
        description="ISO 8601 with offset; in the future and not after the gig starts. "
        "Default: 72 hours from now, or the gig's start if sooner.",
    )


class BookingFiltersIn(Page):
    state: State | None = None


@router.post("/bookings", response={201: BookingOut, **ERRORS}, operation_id="booking_create_api")
def booking_create_api(request: HttpRequest, payload: BookingIn):
    """Request a booking (client accounts). 409 when the provider is already booked then."""
    booking = booking_request(
        client=request.auth,
        service=service_get_public(public_id=payload.service_id),
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
        venue=payload.venue,
        message=payload.message,
        source=BookingEvent.Source.API,
    )
    return Status(201, _card(request, booking))


def _card(request: HttpRequest, booking) -> BookingCard:
    return booking_card(booking=booking, user=request.auth, now=timezone.now())


@router.get("/bookings", response={200: BookingListOut, **ERRORS}, operation_id="booking_list_api")
def booking_list_api(request: HttpRequest, filters: Query[BookingFiltersIn]):
    """The caller's bookings, as client or provider, newest first."""
    answer = _page_of(booking_list_for_user(user=request.auth, state=filters.state), filters)
    return {**answer, "items": [_card(request, booking) for booking in answer["items"]]}


@router.get("/bookings/{booking_id}", response={200: BookingOut, **ERRORS}, operation_id="booking_detail_api")
def booking_detail_api(request: HttpRequest, booking_id: UUID):
    """One booking of the caller's (staff see every booking)."""
    return _card(request, booking_get_for_user(user=request.auth, public_id=booking_id))


@router.get(
    "/bookings/{booking_id}/actions", response={200: list[ActionOut], **ERRORS}, operation_id="booking_actions_api"
)
def booking_actions_api(request: HttpRequest, booking_id: UUID):
    """Exactly the actions the caller may take on this booking now."""
    return _card(request, booking_get_for_user(user=request.auth, public_id=booking_id)).actions


@router.post(
    "/bookings/{booking_id}/actions/{action_name}",
    response={200: BookingOut, **ERRORS},
    operation_id="booking_action_api",
)
def booking_action_api(request: HttpRequest, booking_id: UUID, action_name: str, payload: ActionIn | None = None):
    """Take one action. 409 when it is not possible now; 404 for an unknown action or booking.
    `reschedule` takes `starts_at` too (as POST /api/bookings/{id}/reschedule does)."""
    booking = booking_get_for_user(user=request.auth, public_id=booking_id)
    note, amount = (payload.note, payload.amount_minor) if payload else ("", None)
    if action_name == ActionName.RESCHEDULE:
        starts_at = payload.starts_at if payload else None
        if starts_at is None:
            raise ValidationError({"starts_at": ["Give the new time (ISO 8601 with offset)."]})
        return _reschedule(request, booking, RescheduleIn(starts_at=starts_at, note=note))
    transition = booking_transition(
        booking=booking,
        action=action_name,
        actor=request.auth,
        note=note,
        source=BookingEvent.Source.API,
        amount_minor=amount,
    )
    return _card(request, transition.booking)


@router.post("/bookings/{booking_id}/offer", response={200: BookingOut, **ERRORS}, operation_id="booking_offer_api")
def booking_offer_api(request: HttpRequest, booking_id: UUID, payload: OfferIn):
    """Answer a request with an offer of your own terms, or revise the offer on the table (the
    booking's provider). 409 unless the booking is `requested` or `offered`; 403 for the client."""
    booking = booking_get_for_user(user=request.auth, public_id=booking_id)
    transition = offer_send(booking=booking, actor=request.auth, **payload.dict(), source=BookingEvent.Source.API)
    return _card(request, transition.booking)


@router.post(
    "/bookings/{booking_id}/reschedule", response={200: BookingOut, **ERRORS}, operation_id="booking_reschedule_api"
)
def booking_reschedule_api(request: HttpRequest, booking_id: UUID, payload: RescheduleIn):
    """Propose to move the gig to a new time (either party); the other party accepts or declines it
    with `accept_reschedule` / `decline_reschedule`. 422 for a time in the past, too soon or the
    booking's own; 409 when the slot is taken or the day blocked, when a proposal is already open,
    or when the booking cannot move now."""
    return _reschedule(request, booking_get_for_user(user=request.auth, public_id=booking_id), payload)


def _reschedule(request: HttpRequest, booking, payload: RescheduleIn) -> BookingCard:
    transition = reschedule_propose(
        booking=booking,
        actor=request.auth,
        starts_at=payload.starts_at,
        note=payload.note,
        source=BookingEvent.Source.API,
    )
    return _card(request, transition.booking)


@router.get(
    "/bookings/{booking_id}/events", response={200: list[EventOut], **ERRORS}, operation_id="booking_events_api"
)
def booking_events_api(request: HttpRequest, booking_id: UUID):
    """The audit trail, oldest first."""
    booking = booking_get_for_user(user=request.auth, public_id=booking_id)
    return booking.events.select_related("actor").order_by("created_at", "pk")


class ReviewIn(InputSchema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=MAX_REVIEW_LENGTH)


class ReviewOut(Schema):
    rating: int
    comment: str
    author: PartyOut
    subject: PartyOut
    created_at: dt.datetime
    published_at: dt.datetime | None = Field(
        description="null while blind: until the other party has reviewed too, or 14 days after completion"
    )
    reply: str = Field(description="The public answer of the person reviewed; empty when none.")
    replied_at: dt.datetime | None


@router.post("/bookings/{booking_id}/reviews", response={201: ReviewOut, **ERRORS}, operation_id="booking_review_api")
def booking_review_api(request: HttpRequest, booking_id: UUID, payload: ReviewIn):
    """Review the other party of a completed booking, once. 409 before completion or when reviewed already."""
    booking = booking_get_for_user(user=request.auth, public_id=booking_id)
    review = review_create(booking=booking, author=request.auth, rating=payload.rating, comment=payload.comment)
    return Status(201, review)


class ReplyIn(InputSchema):
    reply: str = Field(min_length=1, max_length=MAX_REPLY_LENGTH)


@router.post(
    "/bookings/{booking_id}/reviews/{review_id}/reply",
    response={200: ReviewOut, **ERRORS},
    operation_id="booking_review_reply_api",
)
def booking_review_reply_api(request: HttpRequest, booking_id: UUID, review_id: int, payload: ReplyIn):
    """Answer a published review of you, once, in public. 403 unless you are the person reviewed;
    409 while the review is blind, once it is hidden, or when you have replied already."""
    card = _card(request, booking_get_for_user(user=request.auth, public_id=booking_id))
    review = next((r for r in card.reviews if r.pk == review_id), None)  # only reviews the caller may read
    if review is None:
        raise Http404("No such review.")
    return review_reply(review=review, author=request.auth, reply=payload.reply)


class ReviewerOut(Schema):
    display_name: str = Field(description="First name and initial, as public pages show it.")


class ReviewCategoryOut(Schema):
    slug: str
    name: str


class ReviewServiceOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    title: str


class ReplyOut(Schema):
    text: str
    created_at: dt.datetime


class PublicReviewOut(Schema):
    id: int
    rating: int
    comment: str
    author: ReviewerOut
    service: ReviewServiceOut
    category: ReviewCategoryOut
    published_at: dt.datetime
    reply: ReplyOut | None = Field(description="The provider's public answer, if any.")

    @staticmethod
    def resolve_author(obj) -> dict:
        return {"display_name": obj.author_public_name}

    @staticmethod
    def resolve_service(obj):
        return obj.booking.service

    @staticmethod
    def resolve_category(obj):
        return obj.booking.service.category

    @staticmethod
    def resolve_reply(obj) -> dict | None:
        return {"text": obj.reply, "created_at": obj.replied_at} if obj.reply else None


class PublicReviewListOut(Schema):
    items: list[PublicReviewOut]
    count: int
    page: int
    page_size: int


@router.get(
    "/providers/{provider_id}/reviews",
    auth=None,
    response={200: PublicReviewListOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="provider_reviews_api",
)
def provider_reviews_api(request: HttpRequest, provider_id: UUID, page: Query[Page]):
    """Clients' published reviews of a provider, newest first (hidden and blind ones are not
    listed), with the provider's replies."""
    provider = provider_get_public(public_id=provider_id)
    return _page_of(review_list_for_provider(provider=provider), page)


class AttachmentOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    name: str
    content_type: str = Field(description="application/pdf, image/jpeg, image/png or image/webp")
    size: int = Field(description="Bytes.")
    url: str = Field(description="GET it with the same credentials: only the parties and staff may.")

    @staticmethod
    def resolve_url(obj) -> str:
        path = reverse("api:booking_attachment_api", args=[obj.message.booking.public_id, obj.public_id])
        return settings.SITE_URL + path


class MessageOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    author: PartyOut | None = Field(description="null when the account was deleted")
    as_staff: bool = Field(description="Written by GigSta staff rather than by a party.")
    body: str
    attachments: list[AttachmentOut]
    created_at: dt.datetime


class MessageListOut(Schema):
    items: list[MessageOut]
    count: int
    page: int
    page_size: int


class MessageIn(InputSchema):
    body: str = Field(max_length=MAX_MESSAGE_LENGTH)


_FILES = {"type": "array", "maxItems": MAX_FILES, "items": {"type": "string", "format": "binary"}}
MESSAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": MessageIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["body"],
                    "properties": {"body": {"type": "string", "maxLength": MAX_MESSAGE_LENGTH}, "files": _FILES},
                }
            },
        },
    }
}


@router.get(
    "/bookings/{booking_id}/messages", response={200: MessageListOut, **ERRORS}, operation_id="booking_messages_api"
)
def booking_messages_api(request: HttpRequest, booking_id: UUID, page: Query[Page]):
    """The booking's messages, oldest first. Reading them marks them read for the caller."""
    booking = booking_get_for_user(user=request.auth, public_id=booking_id)
    answer = _page_of(message_list_for_booking(booking=booking), page)
    if answer["items"]:
        thread_mark_read(booking=booking, user=request.auth, upto=answer["items"][-1].created_at)
    return answer


@router.post(
    "/bookings/{booking_id}/messages",
    response={201: MessageOut, **ERRORS},
    operation_id="booking_message_create_api",
    openapi_extra=MESSAGE_BODY,
)
def booking_message_create_api(request: HttpRequest, booking_id: UUID):
    """Write to the other party (staff: to both). JSON `{body}`, or multipart `body` and up to
    four `files` (PDF, JPEG, PNG or WebP, checked by their content). 422 for an empty body or a
    refused file; nothing is stored then."""
    booking = booking_get_for_user(user=request.auth, public_id=booking_id)
    body, files = _message_input(request)
    message = message_create(booking=booking, author=request.auth, body=body, files=files)
    return Status(201, message)


def _message_input(request: HttpRequest) -> tuple[str, list]:
    """The body (and files) of a message, from JSON or from a form."""
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        data, files = {"body": request.POST.get("body")}, request.FILES.getlist("files")
    else:
        try:
            data, files = json.loads(request.body), []
        except ValueError as exc:
            raise HttpError(400, "The request body is not valid JSON.") from exc
    try:
        return MessageIn.model_validate(data).body, files
    except pydantic.ValidationError as exc:
        raise NinjaValidationError(exc.errors(include_url=False)) from None


FILE_ANSWER = {
    "responses": {
        200: {
            "description": "The file",
            "content": {
                content_type: {"schema": {"type": "string", "format": "binary"}}
                for _, content_type in (PDF, *IMAGES.values())
            },
        }
    }
}


@router.get(
    "/bookings/{booking_id}/files/{attachment_id}",
    response=ERRORS,
    operation_id="booking_attachment_api",
    openapi_extra=FILE_ANSWER,
)
def booking_attachment_api(request: HttpRequest, booking_id: UUID, attachment_id: UUID):
    """A file attached to one of the booking's messages (the `url` of an attachment)."""
    attachment = attachment_get_for_user(user=request.auth, booking_id=booking_id, attachment_id=attachment_id)
    return attachment_response(attachment)
