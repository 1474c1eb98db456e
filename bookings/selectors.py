"""Reads for bookings, scoped to the user asking: a booking that is not yours is not found.

`booking_card` is the booking page's read model: the HTML page, its htmx card and the API
read everything they show about one booking from it.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils.module_loading import import_string

from accounts.models import User
from bookings.attachments import ACCEPT, MAX_FILES
from bookings.deadlines import deadline_words
from bookings.models import (
    MAX_MESSAGE_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_REPLY_LENGTH,
    Booking,
    BookingEvent,
    Message,
    MessageAttachment,
    Offer,
    RescheduleProposal,
    Review,
)
from bookings.services import booking_context, review_publish_at, review_refusal
from bookings.state_machine import (
    ACTIONS,
    FINAL_STATES,
    Action,
    ActionName,
    Deadline,
    PaymentMethod,
    State,
    Waiting,
    available_actions,
    deadline_of,
    waiting_of,
)
from bookings.terms import deposit_amount, platform_fee

# Once a booking is confirmed, each party sees the other's email and phone; before, the thread
# is the way to reach each other.
CONTACT_STATES = (State.CONFIRMED, State.COMPLETED, State.DISPUTED, State.REFUNDED)
# The states a booking can be in once it has been completed, and so may have reviews.
REVIEW_STATES = (State.COMPLETED, State.DISPUTED, State.REFUNDED)


def party_of(booking: Booking, user: User) -> str:
    """How a page addresses the user on a booking they may see: "client", "provider" or "staff"."""
    if booking.client_id == user.pk:
        return "client"
    return "provider" if booking.provider_id == user.pk else "staff"


def booking_list_for_user(*, user: User, state: str | None = None) -> QuerySet[Booking]:
    """Bookings the user made or received, newest first."""
    qs = Booking.objects.filter(Q(client=user) | Q(provider=user)).select_related(
        "service", "client", "provider", "offer", "reschedule"
    )
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at")


def booking_get_for_user(*, user: User, public_id) -> Booking:
    """A booking of which the user is a party, or any booking for staff."""
    qs = Booking.objects.select_related(
        "service", "client", "provider", "provider__provider_profile", "offer", "reschedule"
    )
    if not user.is_staff:
        qs = qs.filter(Q(client=user) | Q(provider=user))
    booking = qs.filter(public_id=public_id).first()
    if booking is None:
        raise Http404("No such booking.")
    return booking


def message_list_for_booking(*, booking: Booking) -> QuerySet[Message]:
    """A booking's thread, oldest first, with authors and files: two queries, however long."""
    return booking.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "pk")


def attachment_get_for_user(*, user: User, booking_id, attachment_id) -> MessageAttachment:
    """A file of a booking's thread, for someone who may see the booking; else not found."""
    booking = booking_get_for_user(user=user, public_id=booking_id)
    attachment = MessageAttachment.objects.filter(message__booking=booking, public_id=attachment_id).first()
    if attachment is None:
        raise Http404("No such file.")
    return attachment


@dataclass(frozen=True)
class Contact:
    """How to reach the other party outside GigSta."""

    display_name: str
    email: str
    phone: str


class MoneyLike(Protocol):
    """What the card needs of a booking's money (payments.selectors.Money); the templates read more."""

    entries: list  # the ledger, oldest first
    timeline: list  # the entries worth showing in the history
    pending_refunds: list
    refund_percent_now: int | None
    due_now: list


def money_of(booking: Booking, now: dt.datetime) -> MoneyLike:
    """The booking's money comes from the payments ledger, which builds on bookings: the project
    names the reader (settings.BOOKING_MONEY) so that bookings never imports payments."""
    return import_string(settings.BOOKING_MONEY)(booking, now)


@dataclass(frozen=True)
class OfferView:
    """The offer on the table, in the amounts a reader weighs it by."""

    offer: Offer
    ends_at: dt.datetime  # the gig's end at the offered length
    deposit_minor: int  # asked when accepted; 0: the whole price is due then
    fee_minor: int  # GigSta's fee on the offered price
    payout_minor: int  # what the provider keeps of it

    @property
    def deposit_percent(self) -> int:
        return self.offer.deposit_percent if self.deposit_minor else 0


def _offer_view(booking: Booking, now: dt.datetime) -> OfferView | None:
    offer = booking.open_offer
    if offer is None:
        return None
    fee = platform_fee(offer.price_minor, booking.fee_bps)
    # As for a request's own deposit: once the balance is due, the whole price is.
    deposit = deposit_amount(offer) if offer.deposit_percent and now < booking.balance_due_at else 0
    return OfferView(
        offer=offer,
        ends_at=booking.starts_at + dt.timedelta(minutes=offer.duration_minutes),
        deposit_minor=deposit,
        fee_minor=fee,
        payout_minor=offer.price_minor - fee,
    )


@dataclass(frozen=True)
class RescheduleView:
    """The new time on the table beside the booking's own, and what moving the gig changes: only
    its time. Dates counted from the gig (the balance's due date, what a cancellation refunds)
    then count from the new time."""

    proposal: RescheduleProposal
    mine: bool  # the reader proposed it
    proposer_name: str
    answerer_name: str
    balance_due_at: dt.datetime | None  # at the new time, while a balance is still to pay


def _reschedule_view(booking: Booking, role: str) -> RescheduleView | None:
    proposal = booking.open_reschedule
    if proposal is None:
        return None
    by_client = proposal.proposed_by_id == booking.client_id
    proposer, answerer = (booking.client, booking.provider) if by_client else (booking.provider, booking.client)
    balance_due = None
    if booking.deposit_percent and booking.state in (State.ACCEPTED, State.DEPOSIT_PAID):
        balance_due = proposal.starts_at - dt.timedelta(days=booking.balance_due_days)
    return RescheduleView(
        proposal=proposal,
        mine=(role == "client") == by_client and role != "staff",
        proposer_name=proposer.display_name,
        answerer_name=answerer.display_name,
        balance_due_at=balance_due,
    )


@dataclass
class BookingCard:
    """Everything the booking page, its htmx card and the API show about one booking, for one
    user at one time. The state machine's answers are computed up front (no database); the
    money (one ledger read, enough to tell whether the card changed), the history and the
    reviews are read when first used."""

    booking: Booking
    user: User
    now: dt.datetime
    role: str  # "client", "provider" or "staff"
    actions: list[Action]
    deadline: Deadline | None  # when the clock takes its next action
    waiting: Waiting | None  # who must act by when (the API's `deadline`)
    note_max_length: int = MAX_NOTE_LENGTH
    message_max_length: int = MAX_MESSAGE_LENGTH
    message_max_files: int = MAX_FILES
    message_accept: str = ACCEPT
    reply_max_length: int = MAX_REPLY_LENGTH

    @cached_property
    def money(self) -> MoneyLike:
        return money_of(self.booking, self.now)

    @property
    def is_final(self) -> bool:
        return self.booking.state in FINAL_STATES

    @cached_property
    def offer(self) -> OfferView | None:
        """The offer waiting for the client's answer, while the booking is offered."""
        return _offer_view(self.booking, self.now)

    @property
    def may_offer(self) -> bool:
        """The reader may send an offer (or revise theirs) now: the card shows the offer form."""
        return any(a.name == ActionName.OFFER for a in self.actions)

    @property
    def may_reschedule(self) -> bool:
        """The reader may propose a new time now: the card shows the form for it."""
        return any(a.name == ActionName.RESCHEDULE for a in self.actions)

    @cached_property
    def reschedule(self) -> RescheduleView | None:
        """The new time one party proposed, waiting for the other's answer."""
        return _reschedule_view(self.booking, self.role)

    @property
    def buttons(self) -> list[Action]:
        """The actions taken with one button; an offer and a new time have forms of their own, and
        staff resolve a dispute in the admin, from a confirmation page with a note
        (`resolves_in_admin`)."""
        return [a for a in self.actions if not a.takes_terms and not a.needs_note]

    @property
    def resolves_in_admin(self) -> bool:
        """The reader is staff and the booking waits for them: the card links to the admin page."""
        return any(a.needs_note for a in self.actions)

    @property
    def polls(self) -> bool:
        """Whether the state or a refund can still change: the card then refreshes itself every
        5 s, else every 15 s (the thread beside it can change in any state)."""
        return not self.is_final or bool(self.money.pending_refunds)

    @property
    def deadline_words(self) -> str:
        """ "You have until Tue 2 Dec, 07:46 CET to answer — 47 hours left"; empty when no clock runs."""
        if self.waiting is None:
            return ""
        return deadline_words(booking=self.booking, waiting=self.waiting, reader=self.role, now=self.now)

    @property
    def status_template(self) -> str:
        """What the card says about the state, for this party: one include per state."""
        return f"bookings/status/{self.booking.state}.html"

    @cached_property
    def messages(self) -> list[Message]:
        return list(message_list_for_booking(booking=self.booking))

    @cached_property
    def thread_mark(self) -> tuple[int, int | None]:
        """How many messages the thread has and the newest one's id: enough to tell it changed."""
        mark = Message.objects.filter(booking=self.booking).aggregate(count=Count("pk"), last=Max("pk"))
        return mark["count"], mark["last"]

    @property
    def contact_shared(self) -> bool:
        return self.booking.state in CONTACT_STATES

    @property
    def contact(self) -> Contact | None:
        """The other party's email and phone, once the booking is confirmed; None before (and for
        staff, who have the admin)."""
        if self.role == "staff" or not self.contact_shared:
            return None
        other = self.booking.provider if self.role == "client" else self.booking.client
        return Contact(display_name=other.display_name, email=other.email, phone=other.phone)

    @cached_property
    def all_reviews(self) -> list[Review]:
        """Every review of the booking, blind and hidden ones too (oldest first); none (and no
        query) before the booking has been completed."""
        if self.booking.state not in REVIEW_STATES:
            return []
        return list(self.booking.reviews.select_related("author", "subject").order_by("created_at", "pk"))

    @cached_property
    def resolution(self) -> BookingEvent | None:
        """How staff resolved the booking's dispute (resolve_release, resolve_refund or
        resolve_partial, with the amount refunded), for the status line; None if never disputed.
        Read only by the states a resolution leads to, and only once a dispute was resolved."""
        if self.booking.state not in (State.COMPLETED, State.REFUNDED) or self.booking.dispute_resolved_at is None:
            return None
        resolutions = [a.name for a in ACTIONS if a.needs_note and State.DISPUTED in a.sources]
        return self.booking.events.filter(action__in=resolutions).order_by("-created_at", "-pk").first()

    @cached_property
    def reviews(self) -> list[Review]:
        """The reviews this reader may read: their own (blind or hidden too), the other party's once
        published and not hidden (the two-way blind rule); staff read every one."""
        if self.role == "staff":
            return self.all_reviews
        return [r for r in self.all_reviews if r.author_id == self.user.pk or r.is_public]

    @cached_property
    def may_review(self) -> bool:
        reviewed = any(r.author_id == self.user.pk for r in self.all_reviews)
        return review_refusal(self.booking, self.user, reviewed) is None

    @property
    def review_waiting(self) -> Review | None:
        """The other party's review of this reader, written but blind (and not hidden): the card
        says it is there and when it can be read."""
        return next(
            (
                r
                for r in self.all_reviews
                if r.subject_id == self.user.pk and r.published_at is None and r.hidden_at is None
            ),
            None,
        )

    @cached_property
    def review_publish_at(self) -> dt.datetime | None:
        """When the timers publish the blind reviews if the other party has not reviewed by then."""
        return review_publish_at(self.booking)

    @property
    def reviews_mark(self) -> list:
        """What of the reviews the card shows can change (read once reviews are possible)."""
        return [(r.pk, r.published_at, r.hidden_at, r.replied_at) for r in self.all_reviews]

    @cached_property
    def timeline(self) -> list:
        """The booking's changes and its money in one list: money a change moved is shown under
        it (a cancellation and its refund); money that moved on its own (a card refund sent, a
        late payment) gets its own line."""
        events = list(self.booking.events.select_related("actor").order_by("created_at", "pk"))
        by_event: dict[int | None, list] = {}
        for entry in self.money.timeline:
            by_event.setdefault(entry.booking_event_id, []).append(entry)
        for event in events:
            event.money_lines = _money_lines(by_event.get(event.pk, []))
        return sorted([*events, *by_event.get(None, [])], key=lambda e: e.created_at)

    @cached_property
    def version(self) -> str:
        """An ETag for the card: everything it shows that can change, including what only the
        clock changes (actions whose guards depend on the time, the refund a cancellation gives
        now). Equal versions mean an identical card for this user."""
        booking, money = self.booking, self.money
        profile = getattr(booking.provider, "provider_profile", None)
        parts = (
            self.user.pk,
            booking.state,
            booking.updated_at.isoformat(),
            booking.offer_id,
            booking.reschedule_id,
            booking.starts_at.isoformat(),
            booking.client.display_name,
            booking.provider.display_name,
            profile.updated_at.isoformat() if profile else "",
            len(money.entries),
            money.entries[-1].pk if money.entries else 0,
            [a.name for a in self.actions],
            money.refund_percent_now,
            [(d.kind, d.amount_minor) for d in money.due_now],
            self.thread_mark,
            self.contact,
            self.deadline_words,  # "47 hours left" becomes "46 hours left"
            self.reviews_mark,
        )
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def reviews_public() -> QuerySet[Review]:
    """Reviews anyone may read: published (the blind rule) and not hidden by staff."""
    return Review.objects.filter(published_at__isnull=False, hidden_at__isnull=True)


def review_list_for_provider(*, provider: User, service=None) -> QuerySet[Review]:
    """Clients' public reviews of a provider (of one of their services, with `service`), newest
    first, with what a list shows of each (author, service, category) in the same query."""
    qs = reviews_public().filter(subject=provider, booking__provider=provider)
    if service is not None:
        qs = qs.filter(booking__service=service)
    return qs.select_related("author", "booking__service__category").order_by("-published_at", "-pk")


def _money_lines(entries: list) -> list[dict]:
    """A cancellation refunding deposit and balance is one refund to read: one line per kind."""
    lines: dict[str, dict] = {}
    for entry in entries:
        line = lines.setdefault(
            entry.kind, {"kind": entry.kind, "label": entry.get_kind_display(), "amount_minor": 0, "note": entry.note}
        )
        line["amount_minor"] += entry.amount_minor
    return list(lines.values())


def booking_card(*, booking: Booking, user: User, now: dt.datetime) -> BookingCard:
    """The booking as `user` sees it at `now`."""
    ctx = booking_context(now)
    return BookingCard(
        booking=booking,
        user=user,
        now=now,
        role=party_of(booking, user),
        actions=available_actions(booking, user, ctx),
        deadline=deadline_of(booking, ctx),
        waiting=waiting_of(booking, ctx),
    )


@dataclass(frozen=True)
class BookingRow:
    """A booking in a list, with who must act on it by when, for the reader."""

    booking: Booking
    deadline_words: str


def booking_rows(*, bookings, user: User, now: dt.datetime) -> list[BookingRow]:
    """The lists' rows (no queries beyond the bookings' own)."""
    ctx = booking_context(now)
    rows = []
    for booking in bookings:
        waiting = waiting_of(booking, ctx)
        reader = party_of(booking, user)
        words = deadline_words(booking=booking, waiting=waiting, reader=reader, now=now) if waiting else ""
        rows.append(BookingRow(booking, words))
    return rows


@dataclass(frozen=True)
class WaitingGroup:
    key: str  # "requests", "offers" or "payments"
    title: str
    rows: list[BookingRow]


# What a provider's dashboard lists first, group by group: the states it waits in, and for which
# payment method (None: any).
_PROVIDER_GROUPS = (
    ("requests", "Requests to answer", State.REQUESTED, None),
    ("offers", "Offers out", State.OFFERED, None),
    ("payments", "Payments to confirm", State.ACCEPTED, PaymentMethod.MANUAL),
    ("payments", "Payments to confirm", State.DEPOSIT_PAID, PaymentMethod.MANUAL),
)


def waiting_for_provider(*, provider: User, now: dt.datetime) -> list[WaitingGroup]:
    """The provider's bookings that wait for them or for their client's answer (one query): requests
    to answer, offers out, and bookings paid by bank transfer or cash whose payment they confirm;
    each group soonest deadline first. Every group is returned, empty or not."""
    states = Q()
    for _, _, state, method in _PROVIDER_GROUPS:
        states |= Q(state=state) & (Q(payment_method=method) if method else Q())
    bookings = list(
        Booking.objects.filter(states, provider=provider).select_related(
            "service", "client", "provider", "offer", "reschedule"
        )
    )
    ctx = booking_context(now)
    groups: dict[str, WaitingGroup] = {}
    for key, title, state, method in _PROVIDER_GROUPS:
        group = groups.setdefault(key, WaitingGroup(key, title, []))
        mine = [b for b in bookings if b.state == state and (method is None or b.payment_method == method)]
        group.rows.extend(booking_rows(bookings=mine, user=provider, now=now))
    for group in groups.values():
        group.rows.sort(key=lambda row: (_due(row.booking, ctx), row.booking.starts_at))
    return list(groups.values())


def _due(booking: Booking, ctx) -> dt.datetime:
    """When the booking needs its answer: its deadline, or (a deposit's balance) the balance's due date."""
    waiting = waiting_of(booking, ctx)
    return waiting.at if waiting else booking.balance_due_at
