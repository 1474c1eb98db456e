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
from django.utils import dateformat, timezone

from accounts.models import ProviderProfile, User
from bookings.attachments import attachments_check
from bookings.effects import effects_of, message_effects, reminder_effects
from bookings.models import (
    MAX_MESSAGE_LENGTH,
    MAX_MODERATION_REASON_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_REPLY_LENGTH,
    MAX_REVIEW_LENGTH,
    MAX_VENUE_LENGTH,
    MAX_YEARS_AHEAD,
    MIN_OFFER_MINOR,
    REVIEW_BLIND_DAYS,
    Booking,
    BookingEvent,
    Message,
    MessageAttachment,
    Offer,
    Reminder,
    RescheduleProposal,
    Review,
    ReviewModeration,
    ThreadReader,
)
from bookings.state_machine import (
    HOLDING_STATES,
    REQUEST,
    RESCHEDULE_STATES,
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
from calendars.availability import slot_problem, venue_days
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
        reschedule_notice=dt.timedelta(hours=settings.BOOKING_RESCHEDULE_NOTICE_HOURS),
    )


def _days(starts_at: dt.datetime, ends_at: dt.datetime, zone: str) -> list[dt.date]:
    """The calendar days a gig touches where it happens, in the venue's time zone `zone` (the
    service's), not the site's: a late gig in Sydney is on a Sydney day. A gig past midnight
    touches two."""
    return venue_days(starts_at, ends_at, ZoneInfo(zone))


def _lock_provider(provider_id: int) -> None:
    """Serialise everything that claims a provider's time (PostgreSQL row lock; SQLite's
    IMMEDIATE transactions already serialise writers)."""
    User.objects.select_for_update().filter(pk=provider_id).values_list("pk", flat=True).get()


def _check_slot_free(
    *,
    service: Service,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    exclude: Booking | None = None,
    waive_own_rules: bool | None = None,
) -> None:
    """Refuse a slot the provider cannot take (calendars.availability decides: holds and buffers,
    blocked venue days, their own calendar, working hours, notice, gigs a day). Accepting
    (`exclude`: the booking being accepted) waives the provider's own hours and notice, as does
    `waive_own_rules` (the provider proposing a new time). Call inside the transaction that holds
    the provider lock."""
    waive = exclude is not None if waive_own_rules is None else waive_own_rules
    problem = slot_problem(service, starts_at, ends_at, now=timezone.now(), exclude_booking=exclude, accepting=waive)
    if problem:
        raise SlotTaken(problem)


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

    # In UTC: adding to a time in a zone with clock changes adds wall-clock time, and a gig across
    # a change would last an hour more or less than it should.
    starts_at = starts_at.astimezone(dt.UTC)
    ends_at = starts_at + dt.timedelta(minutes=duration)
    with transaction.atomic():
        _lock_provider(service.provider_id)
        _check_slot_free(service=service, starts_at=starts_at, ends_at=ends_at)
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
    written), or SlotTaken when accepting (a request, an offer, a new time) would double-book
    the provider or fall on a day they blocked.
    """
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": [f"Keep the note under {MAX_NOTE_LENGTH:,} characters."]})
    ctx = booking_context(now)
    claims_slot = action in (ActionName.ACCEPT, ActionName.ACCEPT_OFFER, ActionName.ACCEPT_RESCHEDULE)
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
                f"“{spec.button_label}” carries its terms: use its form on the booking page or "
                f"POST /api/bookings/{{id}}/{spec.name}.",
                "not_a_transition",
            )
        _check_note_and_amount(spec, note, amount_minor)
        changed = _offer_settle(locked, accepted=action == ActionName.ACCEPT_OFFER)
        said = ""
        if action in RESCHEDULE_ANSWERS:
            changed, said = _reschedule_settle(locked, action, ctx.now)
        # An accepted offer may be longer than the request, an accepted new time is elsewhere:
        # each is checked where it now is.
        if claims_slot:
            _check_slot_free(service=locked.service, starts_at=locked.starts_at, ends_at=locked.ends_at, exclude=locked)
        if spec.takes_amount:
            said = f"{spec.note}: {money(amount_minor, locked.currency)} back to the client"
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
    action's note.

    An action that keeps the state (a new time proposed or answered) leaves `updated_at` alone:
    it is the time of the last change of state, which the timers' deadlines count from, so a
    proposal neither restarts nor shortens anyone's time to answer or to pay."""
    from_state = locked.state
    locked.state = spec.target_from(from_state)
    if spec.keeps_state:
        Booking.objects.filter(pk=locked.pk).update(**{field: getattr(locked, field) for field in changed})
    else:
        changed = [*changed, *_reschedule_close(locked, timezone.now())]
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
        to_state=locked.state,
        note=f"{said}: {note.strip()}" if note.strip() else said,
        amount_minor=amount_minor,
        source=source,
    )
    _sync_busy_days(locked, from_state, moved="starts_at" in changed)
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


RESCHEDULE_ANSWERS = {
    ActionName.ACCEPT_RESCHEDULE: RescheduleProposal.State.ACCEPTED,
    ActionName.DECLINE_RESCHEDULE: RescheduleProposal.State.DECLINED,
    ActionName.WITHDRAW_RESCHEDULE: RescheduleProposal.State.WITHDRAWN,
}


def gig_time_words(at: dt.datetime, zone: str, now: dt.datetime | None = None) -> str:
    """A gig's time where it happens, with the zone's abbreviation: "Sat 12 Dec 20:00 CET"; with
    the year when it is not this year's."""
    local = at.astimezone(ZoneInfo(zone))
    this_year = (now or timezone.now()).astimezone(ZoneInfo(zone)).year
    return dateformat.format(local, "D j M H:i T" if local.year == this_year else "D j M Y H:i T")


def reschedule_propose(
    *,
    booking: Booking,
    actor: User,
    starts_at: dt.datetime,
    note: str = "",
    source: str = BookingEvent.Source.WEB,
    now: dt.datetime | None = None,
) -> Transition:
    """A party proposes to move the gig to `starts_at`, at the same length; the other party
    accepts (booking_transition `accept_reschedule`) or declines it. Nothing about the booking
    changes yet, its state included. The new time must be in the future, at least
    BOOKING_RESCHEDULE_NOTICE_HOURS ahead, not the booking's own, and free now (it is checked
    again when accepted). Raises TransitionNotAllowed (not a party, not now, one already open),
    ValidationError (the time, the note) or SlotTaken; nothing is written or sent then."""
    ctx = booking_context(now)
    with transaction.atomic():
        _lock_provider(booking.provider_id)  # provider first, then the booking: one lock order
        locked = Booking.objects.select_for_update().select_related("service").get(pk=booking.pk)
        spec = get_transition(locked, actor, ActionName.RESCHEDULE, ctx)
        ends_at = _reschedule_check(locked, ctx, starts_at=starts_at, note=note)
        _check_slot_free(
            service=locked.service,
            starts_at=starts_at,
            ends_at=ends_at,
            exclude=locked,
            waive_own_rules=actor.pk == locked.provider_id,
        )
        locked.reschedule = RescheduleProposal.objects.create(
            booking=locked,
            proposed_by=actor,
            starts_at=starts_at,
            ends_at=ends_at,
            was_starts_at=locked.starts_at,
            note=note.strip(),
        )
        zone = locked.service.timezone
        new, old = gig_time_words(starts_at, zone, ctx.now), gig_time_words(locked.starts_at, zone, ctx.now)
        said = f"{spec.note}: {new} (instead of {old})"
        return _state_write(locked, spec, actor, note=note, source=source, changed=["reschedule"], said=said)


def _reschedule_check(locked: Booking, ctx: Context, *, starts_at: dt.datetime, note: str) -> dt.datetime:
    """The new time's end (the booking's length kept), once the time and the note pass. Raises
    ValidationError naming the field."""
    errors: dict[str, list[str]] = {}
    notice = ctx.reschedule_notice
    if timezone.is_naive(starts_at):
        errors["starts_at"] = ["Give the time with its time zone."]
    elif starts_at <= ctx.now:
        errors["starts_at"] = ["Pick a time in the future."]
    elif starts_at < ctx.now + notice:
        errors["starts_at"] = [f"Pick a time at least {minutes_words(int(notice.total_seconds() // 60))} ahead."]
    elif starts_at - ctx.now > dt.timedelta(days=365 * MAX_YEARS_AHEAD):
        errors["starts_at"] = [f"Pick a time within the next {MAX_YEARS_AHEAD} years."]
    elif starts_at == locked.starts_at:
        errors["starts_at"] = ["That is the booking's time already: pick another."]
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = [f"Keep the note under {MAX_NOTE_LENGTH:,} characters."]
    elif "\x00" in note:
        errors["note"] = ["NUL characters are not allowed."]
    if errors:
        raise ValidationError(errors)
    return starts_at + (locked.ends_at - locked.starts_at)


def _reschedule_settle(locked: Booking, action: str, now: dt.datetime) -> tuple[list[str], str]:
    """Answering the open proposal: accepted, the booking moves to its time (at the booking's own
    length; nothing else changes); declined or withdrawn, it keeps its time. Returns the fields
    changed and the event's words."""
    proposal = locked.reschedule
    proposal.state, proposal.decided_at = RESCHEDULE_ANSWERS[action], now
    proposal.save(update_fields=["state", "decided_at"])
    locked.reschedule = None
    zone = locked.service.timezone
    new, old = gig_time_words(proposal.starts_at, zone, now), gig_time_words(locked.starts_at, zone, now)
    if action != ActionName.ACCEPT_RESCHEDULE:
        verb = "Declined" if action == ActionName.DECLINE_RESCHEDULE else "Withdrew"
        return ["reschedule"], f"{verb} the new time {new}: the booking stays at {old}"
    length = locked.ends_at - locked.starts_at
    locked.starts_at, locked.ends_at = proposal.starts_at, proposal.starts_at + length
    return ["reschedule", "starts_at", "ends_at"], f"Accepted the new time: {new} (was {old})"


def _reschedule_close(locked: Booking, now: dt.datetime) -> list[str]:
    """A booking leaving the states where its time can move takes its open proposal off the
    table (closed as expired). Returns the fields changed."""
    if locked.reschedule_id is None or locked.state in RESCHEDULE_STATES:
        return []
    RescheduleProposal.objects.filter(pk=locked.reschedule_id).update(
        state=RescheduleProposal.State.EXPIRED, decided_at=now
    )
    locked.reschedule = None
    return ["reschedule"]


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


def _sync_busy_days(booking: Booking, from_state: str, moved: bool = False) -> None:
    """A holding booking occupies its days in search (catalog.BusyDay); releasing frees them, and
    moving it (a new time accepted) moves them."""
    holds_now = booking.state in HOLDING_STATES
    held_before = from_state in HOLDING_STATES
    if holds_now == held_before and not (moved and holds_now):
        return
    if held_before:
        BusyDay.objects.filter(kind=BusyDay.Kind.BOOKING, source_id=booking.public_id).delete()
    if holds_now:
        BusyDay.objects.bulk_create(
            [
                BusyDay(
                    provider_id=booking.provider_id, date=day, kind=BusyDay.Kind.BOOKING, source_id=booking.public_id
                )
                for day in _days(booking.starts_at, booking.ends_at, booking.service.timezone)
            ]
        )
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


def review_create(*, booking: Booking, author: User, rating: int, comment: str = "", now: dt.datetime | None = None):
    """A party reviews the other after completion. The review is blind until published: when the
    other party has reviewed too, both are published now (and the provider's rating follows);
    else the timers publish it REVIEW_BLIND_DAYS after completion (`reviews_publish_due`)."""
    if author.pk not in (booking.client_id, booking.provider_id):
        raise review_refusal(booking, author, reviewed=False)  # not a party: before anything else
    comment = comment.strip()
    errors = {}
    if not 1 <= rating <= 5:
        errors["rating"] = ["Give 1 to 5 stars."]
    if len(comment) > MAX_REVIEW_LENGTH:
        errors["comment"] = [f"Keep the review under {MAX_REVIEW_LENGTH:,} characters."]
    elif "\x00" in comment:
        errors["comment"] = ["NUL characters are not allowed."]
    if errors:
        raise ValidationError(errors)
    subject_id = booking.provider_id if author.pk == booking.client_id else booking.client_id
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        reviews = list(Review.objects.filter(booking=locked))
        if refusal := review_refusal(locked, author, any(r.author_id == author.pk for r in reviews)):
            raise refusal
        review = Review.objects.create(
            booking=locked, author=author, subject_id=subject_id, rating=rating, comment=comment
        )
        if reviews:  # the other party reviewed first: both go public together
            _reviews_publish(locked, now or timezone.now())
            review.refresh_from_db(fields=["published_at"])
    return review


def review_completed_at(booking: Booking) -> dt.datetime | None:
    """When the booking was first completed (its first event into `completed`); None if never."""
    return (
        BookingEvent.objects.filter(booking=booking, to_state=State.COMPLETED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def review_publish_at(booking: Booking) -> dt.datetime | None:
    """When the timers publish a blind review of `booking` if the other party has not reviewed."""
    completed_at = review_completed_at(booking)
    return completed_at + dt.timedelta(days=REVIEW_BLIND_DAYS) if completed_at else None


def _reviews_publish(locked: Booking, now: dt.datetime) -> int:
    """Publish the booking's blind reviews (the booking row locked); the provider's rating
    follows when one of them is about the provider. Returns how many were published."""
    blind = Review.objects.filter(booking=locked, published_at__isnull=True)
    about_provider = blind.filter(subject_id=locked.provider_id).exists()
    published = blind.update(published_at=now)
    if about_provider:
        _refresh_provider_rating(locked.provider_id)
    return published


def reviews_publish_due(*, now: dt.datetime | None = None) -> int:
    """The timers' half of the blind rule: publish the reviews whose booking was completed at
    least REVIEW_BLIND_DAYS ago. Idempotent (a published review is never published again).
    Returns how many reviews were published."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=REVIEW_BLIND_DAYS)
    booking_ids = (
        Review.objects.filter(
            published_at__isnull=True,
            booking__events__to_state=State.COMPLETED,
            booking__events__created_at__lte=cutoff,
        )
        .values_list("booking_id", flat=True)
        .distinct()
    )
    published = 0
    for booking_id in sorted(set(booking_ids)):
        with transaction.atomic():
            locked = Booking.objects.select_for_update().get(pk=booking_id)
            published += _reviews_publish(locked, now)
    return published


def review_reply(*, review: Review, author: User, reply: str, now: dt.datetime | None = None) -> Review:
    """The reviewed party answers a published review, once, in public. Raises PermissionDenied
    (not the review's subject), ReviewNotAllowed (not published, hidden, or answered already)
    or ValidationError (empty, too long); nothing is written then."""
    if author.pk != review.subject_id:
        raise PermissionDenied("Only the person reviewed can reply to a review.")
    reply = reply.strip()
    if not reply:
        raise ValidationError({"reply": ["Write a reply."]})
    if len(reply) > MAX_REPLY_LENGTH:
        raise ValidationError({"reply": [f"Keep the reply under {MAX_REPLY_LENGTH:,} characters."]})
    if "\x00" in reply:
        raise ValidationError({"reply": ["NUL characters are not allowed."]})
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if locked.published_at is None:
            raise ReviewNotAllowed("You can reply once the review is published.")
        if locked.hidden_at is not None:
            raise ReviewNotAllowed("This review was hidden by GigSta staff.")
        if locked.reply:
            raise ReviewNotAllowed("You have already replied to this review.")
        locked.reply, locked.replied_at = reply, now or timezone.now()
        locked.save(update_fields=["reply", "replied_at"])
        if locked.subject_id == locked.booking.provider_id:
            transaction.on_commit(catalog_changed)
    return locked


def _moderation_check(staff: User, reason: str) -> str:
    if not (staff.is_staff and staff.has_perm("bookings.change_review")):
        raise PermissionDenied("Only GigSta staff who may change reviews can moderate them.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why: the author is told."]})
    if len(reason) > MAX_MODERATION_REASON_LENGTH:
        raise ValidationError({"reason": [f"Keep the reason under {MAX_MODERATION_REASON_LENGTH:,} characters."]})
    return reason


def review_hide(*, review: Review, staff: User, reason: str, now: dt.datetime | None = None) -> bool:
    """Staff hide a review from every public page and from the ratings, with a reason that is
    recorded (ReviewModeration) and emailed to the author (a task queued with the change).
    Returns False, writing nothing, when it is hidden already."""
    from bookings.notifications import review_hidden_email  # it reads the models this module writes

    reason = _moderation_check(staff, reason)
    with transaction.atomic():
        locked = Review.objects.select_for_update().select_related("author", "booking__service").get(pk=review.pk)
        if locked.hidden_at is not None:
            return False
        locked.hidden_at, locked.hidden_reason = now or timezone.now(), reason
        locked.save(update_fields=["hidden_at", "hidden_reason"])
        moderation = ReviewModeration.objects.create(
            review=locked, action=ReviewModeration.Action.HIDE, reason=reason, staff=staff
        )
        _moderation_refresh(locked)
        review_hidden_email.enqueue(moderation.pk)  # the author is told why, by the worker
    return True


def review_unhide(*, review: Review, staff: User, reason: str) -> bool:
    """Staff show a hidden review again (recorded with the reason). False when it is not hidden."""
    reason = _moderation_check(staff, reason)
    with transaction.atomic():
        locked = Review.objects.select_for_update().select_related("booking").get(pk=review.pk)
        if locked.hidden_at is None:
            return False
        locked.hidden_at, locked.hidden_reason = None, ""
        locked.save(update_fields=["hidden_at", "hidden_reason"])
        ReviewModeration.objects.create(
            review=locked, action=ReviewModeration.Action.UNHIDE, reason=reason, staff=staff
        )
        _moderation_refresh(locked)
    return True


def _moderation_refresh(locked: Review) -> None:
    if locked.published_at is not None and locked.subject_id == locked.booking.provider_id:
        _refresh_provider_rating(locked.subject_id)


def _refresh_provider_rating(provider_id: int) -> None:
    """The provider's rating on the profile and in search: their published, unhidden reviews by
    clients."""
    stats = Review.objects.filter(
        subject_id=provider_id,
        booking__provider_id=provider_id,
        published_at__isnull=False,
        hidden_at__isnull=True,
    ).aggregate(avg=Avg("rating"), count=Count("pk"))
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
