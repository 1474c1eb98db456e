"""Writes for bookings. `booking_transition` is the only code that changes a booking's state."""

import datetime as dt
import uuid
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from accounts.models import ProviderProfile, User
from bookings.attachments import attachments_check
from bookings.effects import effects_of, message_effects, reminder_effects
from bookings.models import (
    MAX_MESSAGE_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_REVIEW_LENGTH,
    MAX_VENUE_LENGTH,
    MAX_YEARS_AHEAD,
    MIN_OFFER_MINOR,
    Booking,
    BookingEvent,
    Message,
    MessageAttachment,
    Offer,
    Reminder,
    Review,
    ThreadReader,
)
from bookings.state_machine import (
    HOLDING_STATES,
    REQUEST,
    Action,
    ActionName,
    Context,
    Role,
    State,
    TransitionNotAllowed,
    get_transition,
    roles_of,
)
from bookings.terms import booking_terms, card_payments_on
from catalog.cache import catalog_changed
from catalog.models import (
    MAX_DEPOSIT_PERCENT,
    MAX_DURATION_MINUTES,
    MAX_PRICE_MINOR,
    MIN_DURATION_MINUTES,
    BusyDay,
    Service,
)
from catalog.pricing import minutes_words, quote
from catalog.services import listings_refresh
from catalog.templatetags.catalog_tags import money
from gigsta.errors import Conflict


class SlotTaken(Conflict):
    """The provider is already booked (or unavailable) for that time."""

    code = "slot_taken"


class ReviewNotAllowed(Conflict):
    """The booking is not completed, or this party has reviewed it already."""

    code = "review_not_allowed"


class Transition(NamedTuple):
    """What booking_transition did: the booking as it is now, and the event that says so."""

    booking: Booking
    event: BookingEvent


def booking_context(now: dt.datetime | None = None) -> Context:
    return Context(
        now=now or timezone.now(),
        card_payments=card_payments_on(),
        answer_within=dt.timedelta(hours=settings.BOOKING_ANSWER_WITHIN_HOURS),
        pay_within=dt.timedelta(hours=settings.BOOKING_PAY_WITHIN_HOURS),
        complete_after=dt.timedelta(days=settings.BOOKING_AUTO_COMPLETE_DAYS),
    )


def _days(starts_at: dt.datetime, ends_at: dt.datetime, zone: str) -> list[dt.date]:
    """The calendar days a gig touches where it happens, in the venue's time zone `zone` (the
    service's), not the site's: a late gig in Sydney is on a Sydney day. A gig past midnight
    touches two."""
    venue = ZoneInfo(zone)
    first = starts_at.astimezone(venue).date()
    last = (ends_at - dt.timedelta(microseconds=1)).astimezone(venue).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _lock_provider(provider_id: int) -> None:
    """Serialise everything that claims a provider's time (PostgreSQL row lock; SQLite's
    IMMEDIATE transactions already serialise writers)."""
    User.objects.select_for_update().filter(pk=provider_id).values_list("pk", flat=True).get()


def _check_slot_free(
    *, provider_id: int, starts_at: dt.datetime, ends_at: dt.datetime, zone: str, exclude_pk=None
) -> None:
    """Refuse a slot that overlaps a holding booking or a day the provider blocked (the venue's
    days, in its time zone `zone`). Call inside the transaction that holds the provider lock."""
    overlapping = Booking.objects.filter(
        provider_id=provider_id, state__in=HOLDING_STATES, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if exclude_pk is not None:
        overlapping = overlapping.exclude(pk=exclude_pk)
    if overlapping.exists():
        raise SlotTaken("The provider is already booked at that time.")
    blocked = BusyDay.objects.filter(
        provider_id=provider_id, kind=BusyDay.Kind.BLOCKED, date__in=_days(starts_at, ends_at, zone)
    )
    if blocked.exists():
        raise SlotTaken("The provider is not available that day.")


def booking_request(
    *,
    client: User,
    service: Service,
    starts_at: dt.datetime,
    venue: str,
    duration_minutes: int | None = None,
    message: str = "",
    source: str = BookingEvent.Source.WEB,
) -> Booking:
    """A client asks for a slot. Raises ValidationError (fields), PermissionDenied or SlotTaken."""
    if service.provider_id == client.pk:
        raise PermissionDenied("You cannot book your own service.")
    if not client.is_client:
        raise PermissionDenied("Only client accounts can request bookings.")
    duration = service.duration_minutes if duration_minutes is None else duration_minutes
    errors: dict[str, list[str]] = {}
    if timezone.is_naive(starts_at):
        errors["starts_at"] = ["Give the time with its time zone."]
    elif starts_at <= timezone.now():
        errors["starts_at"] = ["Pick a time in the future."]
    elif starts_at - timezone.now() > dt.timedelta(days=365 * MAX_YEARS_AHEAD):
        errors["starts_at"] = [f"Pick a time within the next {MAX_YEARS_AHEAD} years."]
    if problem := quote(service, duration).problem:
        errors["duration_minutes"] = [problem]
    if not venue.strip():
        errors["venue"] = ["Say where the gig takes place."]
    elif len(venue) > MAX_VENUE_LENGTH:
        errors["venue"] = [f"Keep the venue under {MAX_VENUE_LENGTH} characters."]
    if len(message) > MAX_MESSAGE_LENGTH:
        errors["message"] = [f"Keep the message under {MAX_MESSAGE_LENGTH:,} characters."]
    if not service.is_active:
        errors["service_id"] = ["This service is not available."]
    if errors:
        raise ValidationError(errors)

    ends_at = starts_at + dt.timedelta(minutes=duration)
    with transaction.atomic():
        _lock_provider(service.provider_id)
        _check_slot_free(provider_id=service.provider_id, starts_at=starts_at, ends_at=ends_at, zone=service.timezone)
        booking = Booking.objects.create(
            service=service,
            client=client,
            provider_id=service.provider_id,
            starts_at=starts_at,
            ends_at=ends_at,
            venue=venue.strip(),
            message=message.strip(),
            **booking_terms(service, duration),
        )
        event = BookingEvent.objects.create(
            booking=booking,
            actor=client,
            action=REQUEST.name,
            to_state=State.REQUESTED,
            note=REQUEST.note,
            source=source,
        )
        _effects_run(booking, event)
    return booking


def booking_transition(
    *,
    booking: Booking,
    action: str,
    actor: User | None,
    note: str = "",
    source: str = BookingEvent.Source.WEB,
    now: dt.datetime | None = None,
    amount_minor: int | None = None,
) -> Transition:
    """Take one action on a booking: lock it, check the action against the locked row, save
    the new state, append the event, and run the action's effects (bookings.effects): those
    that write inside this transaction, the rest after commit.

    `amount_minor`: the amount an action that takes one carries (resolve_partial: the refund),
    kept on the event; its refund rule refuses more than remains refundable (RefundTooLarge,
    nothing written). Actions that need a note (staff resolutions) are refused without one.

    A repeat of the action that just happened (a double click, a replayed request) is refused
    like any action the state does not allow: a retry that must be safe carries an idempotency
    key (gigsta/idempotency.py). Raises UnknownAction or TransitionNotAllowed (nothing is
    written), or SlotTaken when accepting would double-book the provider.
    """
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": [f"Keep the note under {MAX_NOTE_LENGTH:,} characters."]})
    ctx = booking_context(now)
    claims_slot = action in (ActionName.ACCEPT, ActionName.ACCEPT_OFFER)
    with transaction.atomic():
        if claims_slot:
            _lock_provider(booking.provider_id)  # provider first, then the booking: one lock order
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        spec = get_transition(locked, actor, action, ctx)
        if spec.starts_checkout:
            raise TransitionNotAllowed(
                f"“{spec.button_label}” starts a card checkout rather than changing the booking: "
                "use the pay page or POST /api/bookings/{id}/checkout.",
                "not_a_transition",
            )
        if spec.takes_terms:
            raise TransitionNotAllowed(
                f"“{spec.button_label}” carries its terms: use the offer form or POST /api/bookings/{{id}}/offer.",
                "not_a_transition",
            )
        _check_note_and_amount(spec, note, amount_minor)
        changed = _offer_settle(locked, accepted=action == ActionName.ACCEPT_OFFER)
        if claims_slot:  # an accepted offer may be longer than the request: checked at its own length
            _check_slot_free(
                provider_id=locked.provider_id,
                starts_at=locked.starts_at,
                ends_at=locked.ends_at,
                zone=locked.service.timezone,
                exclude_pk=locked.pk,
            )
        said = f"{spec.note}: {money(amount_minor, locked.currency)} back to the client" if spec.takes_amount else ""
        return _state_write(
            locked, spec, actor, note=note, source=source, changed=changed, said=said, amount_minor=amount_minor
        )


def _check_note_and_amount(spec: Action, note: str, amount_minor: int | None) -> None:
    """An action that needs a note has one; one that takes an amount has a positive one, and no
    other action carries an amount. Raises ValidationError naming the field."""
    errors: dict[str, list[str]] = {}
    if spec.needs_note and not note.strip():
        errors["note"] = ["Say why: the note is kept with the decision, and both parties are told."]
    if spec.takes_amount and amount_minor is None:
        errors["amount_minor"] = ["Say how much to refund."]
    elif spec.takes_amount and amount_minor <= 0:
        errors["amount_minor"] = ["Refund more than nothing, or release the payment instead."]
    elif not spec.takes_amount and amount_minor is not None:
        errors["amount_minor"] = [f"“{spec.button_label}” takes no amount."]
    if errors:
        raise ValidationError(errors)


def _state_write(
    locked: Booking,
    spec: Action,
    actor: User | None,
    *,
    note: str,
    source: str,
    changed: list[str],
    said: str = "",
    amount_minor: int | None = None,
) -> Transition:
    """Save the locked booking in the action's target state (with the other fields `changed`),
    append its event, and run the action's effects. `said`: the event's words instead of the
    action's note."""
    from_state = locked.state
    locked.state = spec.target
    if from_state == State.DISPUTED:  # every way out of a dispute is staff's resolution of it
        locked.dispute_resolved_at = timezone.now()
        changed = [*changed, "dispute_resolved_at"]
    locked.save(update_fields=["state", "updated_at", *changed])
    said = said or spec.note
    event = BookingEvent.objects.create(
        booking=locked,
        actor=actor,
        action=spec.name,
        from_state=from_state,
        to_state=spec.target,
        note=f"{said}: {note.strip()}" if note.strip() else said,
        amount_minor=amount_minor,
        source=source,
    )
    _sync_busy_days(locked, from_state)
    _effects_run(locked, event)
    return Transition(locked, event)


def _offer_settle(locked: Booking, *, accepted: bool) -> list[str]:
    """Leaving `offered`: an accepted offer's terms become the booking's (price, length, deposit);
    any other way out takes the offer off the table. Returns the fields changed."""
    if locked.state != State.OFFERED:
        return []
    if not accepted:
        locked.offer = None
        return ["offer"]
    offer = locked.offer
    locked.price_minor, locked.deposit_percent = offer.price_minor, offer.deposit_percent
    locked.ends_at = locked.starts_at + dt.timedelta(minutes=offer.duration_minutes)
    return ["price_minor", "deposit_percent", "ends_at"]


def offer_send(
    *,
    booking: Booking,
    actor: User,
    price_minor: int,
    duration_minutes: int | None = None,
    deposit_percent: int | None = None,
    note: str = "",
    expires_at: dt.datetime | None = None,
    source: str = BookingEvent.Source.WEB,
    now: dt.datetime | None = None,
) -> Transition:
    """The provider answers a request with terms of their own, or revises the offer on the table
    (a new Offer row replaces it; both stay in the history). Unsaid terms stay the booking's
    (length, deposit); the offer is open for BOOKING_OFFER_OPEN_HOURS, or until the gig starts if
    that is sooner. Raises PermissionDenied (not the provider), TransitionNotAllowed (not
    requested or offered now) or ValidationError (the terms); nothing is written or sent then."""
    ctx = booking_context(now)
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if Role.PROVIDER not in roles_of(locked, actor):
            raise PermissionDenied("Only the provider of a booking can send an offer.")
        spec = get_transition(locked, actor, ActionName.OFFER, ctx)
        terms = _offer_terms(
            locked, ctx.now, price_minor=price_minor, duration_minutes=duration_minutes,
            deposit_percent=deposit_percent, note=note, expires_at=expires_at,
        )  # fmt: skip
        revised = locked.state == State.OFFERED
        locked.offer = Offer.objects.create(booking=locked, currency=locked.currency, **terms)
        said = ("Offer revised" if revised else spec.note) + ": " + offer_words(locked.offer)
        return _state_write(locked, spec, actor, note=note, source=source, changed=["offer"], said=said)


def _offer_terms(locked: Booking, now: dt.datetime, **asked) -> dict:
    """An offer's terms, checked; unsaid ones from the booking. Raises ValidationError."""
    currency = locked.currency
    terms = {
        "price_minor": asked["price_minor"],
        "duration_minutes": locked.duration_minutes if asked["duration_minutes"] is None else asked["duration_minutes"],
        "deposit_percent": locked.deposit_percent if asked["deposit_percent"] is None else asked["deposit_percent"],
        "note": asked["note"].strip(),
        "expires_at": asked["expires_at"] or min(now + offer_open_for(), locked.starts_at),
    }
    errors: dict[str, list[str]] = {}
    if not MIN_OFFER_MINOR <= terms["price_minor"] <= MAX_PRICE_MINOR:
        low, high = money(MIN_OFFER_MINOR, currency), money(MAX_PRICE_MINOR, currency)
        errors["price_minor"] = [f"Ask between {low} and {high}."]
    if not MIN_DURATION_MINUTES <= terms["duration_minutes"] <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = [f"Between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES} minutes."]
    if not 0 <= terms["deposit_percent"] <= MAX_DEPOSIT_PERCENT:
        errors["deposit_percent"] = [f"Between 0 and {MAX_DEPOSIT_PERCENT} %."]
    if len(terms["note"]) > MAX_NOTE_LENGTH:
        errors["note"] = [f"Keep the note under {MAX_NOTE_LENGTH:,} characters."]
    if reason := _expiry_refusal(terms["expires_at"], now, locked.starts_at):
        errors["expires_at"] = [reason]
    if errors:
        raise ValidationError(errors)
    return terms


def _expiry_refusal(expires_at: dt.datetime, now: dt.datetime, starts_at: dt.datetime) -> str | None:
    if timezone.is_naive(expires_at):
        return "Give the time with its time zone."
    if expires_at <= now:
        return "Pick a time in the future."
    if expires_at > starts_at:
        return "The offer must expire by the time the gig starts."
    return None


def offer_open_for() -> dt.timedelta:
    return dt.timedelta(hours=settings.BOOKING_OFFER_OPEN_HOURS)


def offer_words(offer: Offer) -> str:
    """An offer's terms in a line: "€1,500 for 6 hours, 30 % deposit"."""
    words = f"{money(offer.price_minor, offer.currency)} for {minutes_words(offer.duration_minutes)}"
    return words + (f", {offer.deposit_percent} % deposit" if offer.deposit_percent else "")


def reminder_send(*, booking: Booking, kind: str, now: dt.datetime | None = None) -> Reminder | None:
    """Record a reminder that is due (bookings.reminders) and run its effects: the inbox lines now,
    the emails queued. Once per booking, kind and moment: None when it is not due (any more) or
    was sent already, by this run or another."""
    from bookings.reminders import reminder_at  # it reads the models this module writes

    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        at = reminder_at(locked, kind, booking_context(now))
        if at is None:
            return None
        reminder, created = Reminder.objects.get_or_create(booking=locked, kind=kind, at=at)
        if created:
            _effects_run(locked, reminder, reminder_effects())
    return reminder if created else None


def _effects_run(booking: Booking, event: BookingEvent | Message | Reminder, effects=None) -> None:
    """The declared effects of an action (or of a message): in-transaction ones now, and its
    tasks queued in the same transaction (the worker runs them once it is committed)."""
    effects = effects or effects_of(event.action)
    for effect in effects.in_transaction:
        effect(booking, event)
    for task in effects.tasks:
        task.enqueue(booking.pk, event.pk)


def _sync_busy_days(booking: Booking, from_state: str) -> None:
    """A holding booking occupies its days in search (catalog.BusyDay); releasing frees them."""
    holds_now = booking.state in HOLDING_STATES
    held_before = from_state in HOLDING_STATES
    if holds_now == held_before:
        return
    if holds_now:
        BusyDay.objects.bulk_create(
            [
                BusyDay(
                    provider_id=booking.provider_id, date=day, kind=BusyDay.Kind.BOOKING, source_id=booking.public_id
                )
                for day in _days(booking.starts_at, booking.ends_at, booking.service.timezone)
            ]
        )
    else:
        BusyDay.objects.filter(kind=BusyDay.Kind.BOOKING, source_id=booking.public_id).delete()
    transaction.on_commit(catalog_changed)


def review_refusal(booking: Booking, user: User, reviewed: bool) -> Exception | None:
    """Why `user` may not review `booking` now (None: they may): only a party, once the gig is
    completed, once. `reviewed`: whether they have reviewed it already."""
    if user.pk not in (booking.client_id, booking.provider_id):
        return PermissionDenied("Only the client and the provider of a booking can review it.")
    if booking.state != State.COMPLETED:
        return ReviewNotAllowed("Reviews open once the booking is completed.")
    if reviewed:
        return ReviewNotAllowed("You have already reviewed this booking.")
    return None


def review_create(*, booking: Booking, author: User, rating: int, comment: str = "") -> Review:
    """A party reviews the other after completion. A client's review updates the provider's
    rating shown on the profile and in search."""
    if author.pk not in (booking.client_id, booking.provider_id):
        raise review_refusal(booking, author, reviewed=False)  # not a party: before anything else
    errors = {}
    if not 1 <= rating <= 5:
        errors["rating"] = ["Give 1 to 5 stars."]
    if len(comment) > MAX_REVIEW_LENGTH:
        errors["comment"] = [f"Keep the review under {MAX_REVIEW_LENGTH:,} characters."]
    if errors:
        raise ValidationError(errors)
    subject_id = booking.provider_id if author.pk == booking.client_id else booking.client_id
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        reviewed = Review.objects.filter(booking=locked, author=author).exists()
        if refusal := review_refusal(locked, author, reviewed):
            raise refusal
        review = Review.objects.create(
            booking=locked, author=author, subject_id=subject_id, rating=rating, comment=comment.strip()
        )
        if subject_id == locked.provider_id:
            _refresh_provider_rating(subject_id)
    return review


def _refresh_provider_rating(provider_id: int) -> None:
    stats = Review.objects.filter(subject_id=provider_id, booking__provider_id=provider_id).aggregate(
        avg=Avg("rating"), count=Count("pk")
    )
    ProviderProfile.objects.filter(user_id=provider_id).update(
        rating_avg=round(stats["avg"] or 0, 2), rating_count=stats["count"]
    )
    listings_refresh(services=Service.objects.filter(provider_id=provider_id))
    transaction.on_commit(catalog_changed)


def message_create(
    *,
    booking: Booking,
    author: User,
    body: str,
    files: list[UploadedFile] | tuple = (),
) -> Message:
    """A party (or staff, "as staff") writes in the booking's thread, with up to a few files.
    Everything is checked before anything is written; then the message, its files and the
    author's read mark are written together, with the message's effects (bookings.effects:
    partner webhooks, the email to whoever has not read it). Raises PermissionDenied for anyone
    else, ValidationError for an empty or long body or a refused file; then nothing is stored."""
    is_party = author.pk in (booking.client_id, booking.provider_id)
    if not is_party and not author.is_staff:
        raise PermissionDenied("Only the client, the provider and GigSta staff can write here.")
    body = body.strip()
    errors: dict[str, list[str]] = {}
    if not body:
        errors["body"] = ["Write a message."]
    elif len(body) > MAX_MESSAGE_LENGTH:
        errors["body"] = [f"Keep the message under {MAX_MESSAGE_LENGTH:,} characters."]
    elif "\x00" in body:
        errors["body"] = ["NUL characters are not allowed."]
    try:
        checked = attachments_check(list(files))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    stored: list[MessageAttachment] = []
    try:
        with transaction.atomic():
            message = Message.objects.create(booking=booking, author=author, as_staff=not is_party, body=body)
            for f in checked:
                attachment = MessageAttachment(message=message, name=f.name, content_type=f.content_type, size=f.size)
                attachment.file.save(f"{booking.public_id.hex}/{uuid.uuid4().hex}.{f.extension}", f.upload, save=False)
                stored.append(attachment)
                attachment.save()
            _readers_ensure(booking)
            thread_mark_read(booking=booking, user=author, upto=message.created_at)
            _effects_run(booking, message, message_effects())
    except BaseException:
        for attachment in stored:  # no file without its row
            attachment.file.storage.delete(attachment.file.name)
        raise
    return message


def _readers_ensure(booking: Booking) -> None:
    """Both parties have a read mark once the thread has a message (one query however often)."""
    ThreadReader.objects.bulk_create(
        [ThreadReader(booking=booking, user_id=pk) for pk in (booking.client_id, booking.provider_id)],
        ignore_conflicts=True,
    )


def thread_mark_read(*, booking: Booking, user: User, upto: dt.datetime | None) -> None:
    """The user has seen the thread up to the message created at `upto` (None: no messages). One
    query; a mark only moves forward, and staff have none."""
    if upto is not None:
        ThreadReader.objects.filter(
            Q(read_upto__isnull=True) | Q(read_upto__lt=upto), booking=booking, user=user
        ).update(read_upto=upto)
