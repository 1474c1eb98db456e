"""The booking lifecycle, declared once.

Plain data and pure functions, no database: the pages render one button per available
action, the API lists the same actions, the admin's staff actions and the timers go
through them, and docs/booking-lifecycle.md is generated from this table.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gigsta.errors import Conflict, NotFound


class State(StrEnum):
    REQUESTED = "requested"
    OFFERED = "offered"  # the provider answered with an offer of their own terms; the client's turn
    ACCEPTED = "accepted"
    DEPOSIT_PAID = "deposit_paid"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    DISPUTED = "disputed"
    REFUNDED = "refunded"


# Nothing can happen to a booking in these states any more.
FINAL_STATES = (State.DECLINED, State.CANCELLED, State.EXPIRED, State.REFUNDED)
# Bookings that hold their slot: no other booking of the provider may overlap them.
HOLDING_STATES = (State.ACCEPTED, State.DEPOSIT_PAID, State.CONFIRMED)
# Where the parties may agree to move the gig to another time (`reschedule` and its answers):
# before the provider has answered (requested) and while the date is held (accepted, deposit
# paid, confirmed). Not while `offered`: the offer is open until at the latest the gig's start
# and the client is already asked to weigh its terms; they decline it (the request stands again)
# and propose a time then. Not once the gig has started (a guard), nor after it (completed,
# disputed) or in a final state. A proposal still open when the booking leaves these states
# is closed with it (bookings.services).
RESCHEDULE_STATES = (State.REQUESTED, State.ACCEPTED, State.DEPOSIT_PAID, State.CONFIRMED)


class ActionName(StrEnum):
    """Every action's name, for code that names one (the API and the URLs take them as text)."""

    ACCEPT = "accept"
    DECLINE = "decline"
    OFFER = "offer"
    ACCEPT_OFFER = "accept_offer"
    DECLINE_OFFER = "decline_offer"
    WITHDRAW = "withdraw"
    MARK_DEPOSIT_PAID = "mark_deposit_paid"
    MARK_PAID = "mark_paid"
    PAY = "pay"
    CONFIRM_DEPOSIT = "confirm_deposit"
    CONFIRM_PAYMENT = "confirm_payment"
    REMIND_BALANCE = "remind_balance"
    CANCEL_UNPAID = "cancel_unpaid"
    CANCEL = "cancel"
    COMPLETE = "complete"
    DISPUTE = "dispute"
    RESOLVE_RELEASE = "resolve_release"
    RESOLVE_REFUND = "resolve_refund"
    RESOLVE_PARTIAL = "resolve_partial"
    EXPIRE = "expire"
    AUTO_COMPLETE = "auto_complete"
    RESCHEDULE = "reschedule"
    ACCEPT_RESCHEDULE = "accept_reschedule"
    DECLINE_RESCHEDULE = "decline_reschedule"
    WITHDRAW_RESCHEDULE = "withdraw_reschedule"
    REQUEST = "request"


class Role(StrEnum):
    CLIENT = "client"
    PROVIDER = "provider"
    STAFF = "staff"
    SYSTEM = "system"


# How long after the gig ends a client may still open a dispute.
DISPUTE_WINDOW = dt.timedelta(days=14)
# How long before the balance falls due the client is reminded of it.
BALANCE_REMINDER_LEAD = dt.timedelta(days=3)


class PaymentMethod(StrEnum):
    MANUAL = "manual"  # bank transfer or cash, straight to the provider, who marks it paid
    STRIPE = "stripe"  # card through Stripe Checkout; the signed webhook confirms


class BookingLike(Protocol):
    state: str
    client_id: int
    provider_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    updated_at: dt.datetime  # changes only with the state: the time of the last transition
    # Snapshotted when requested (see bookings.services.booking_request):
    payment_method: str
    deposit_percent: int  # 0: no deposit, the whole price is paid at once
    balance_due_days: int  # the balance is due this many days before the gig
    balance_cancel_days: int  # still unpaid this many days before: the provider may cancel
    offer_expires_at: dt.datetime | None  # while offered: until when the client may accept the offer
    open_reschedule: "ProposalLike | None"  # a new time one party proposed, waiting for the other
    dispute_resolved_at: dt.datetime | None  # staff resolved its dispute: no second one


class ProposalLike(Protocol):
    proposed_by_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


def balance_due_at(booking: BookingLike) -> dt.datetime:
    return booking.starts_at - dt.timedelta(days=booking.balance_due_days)


def balance_cancel_at(booking: BookingLike) -> dt.datetime:
    return booking.starts_at - dt.timedelta(days=booking.balance_cancel_days)


def payout_release_at(booking: BookingLike) -> dt.datetime:
    """When GigSta pays a card booking's money on to the provider: once the dispute window after
    the gig has closed (payments.services.payouts; the pages say this date)."""
    return booking.ends_at + DISPUTE_WINDOW


def deposit_allowed(booking: BookingLike, now: dt.datetime) -> bool:
    """A deposit is offered while the balance is not yet due; later the whole price is due."""
    return booking.deposit_percent > 0 and now < balance_due_at(booking)


class ActorLike(Protocol):
    pk: int
    is_staff: bool


@dataclass(frozen=True)
class Context:
    """What guards may look at besides the booking: the time, and which payments are on."""

    now: dt.datetime
    card_payments: bool = False
    # Timers: how long a request may wait for an answer, an acceptance for payment, and a
    # confirmed gig for the provider to mark it completed.
    answer_within: dt.timedelta = dt.timedelta(hours=48)
    pay_within: dt.timedelta = dt.timedelta(hours=72)
    complete_after: dt.timedelta = dt.timedelta(days=3)
    # A gig may be moved to a time at least this far ahead (bookings.services.reschedule_propose).
    reschedule_notice: dt.timedelta = dt.timedelta(hours=24)


Guard = Callable[[BookingLike, Context], str | None]  # a reason to refuse, or None
# Which of the roles the action is open to may take it on this booking now (e.g. only the party
# who did not propose the new time answers it): a reason to refuse the actor's `roles`, or None.
PartyRule = Callable[[BookingLike, set["Role"]], str | None]


def _gig_started(booking: BookingLike, ctx: Context) -> str | None:
    return None if ctx.now >= booking.starts_at else "The gig has not started yet."


def _gig_ahead(booking: BookingLike, ctx: Context) -> str | None:
    return None if ctx.now < booking.starts_at else "The gig has started: too late for an offer."


def _offer_open(booking: BookingLike, ctx: Context) -> str | None:
    """An offer may be accepted until it expires; from that moment the timers expire it."""
    return None if not _deadline_passed(booking, ctx) else "The offer has expired."


def _within_dispute_window(booking: BookingLike, ctx: Context) -> str | None:
    if booking.dispute_resolved_at is not None:
        return "GigSta staff have resolved this booking's dispute: the decision stands."
    if ctx.now < booking.starts_at:
        return "A dispute can be opened once the gig has started."
    if ctx.now > booking.ends_at + DISPUTE_WINDOW:
        return f"Disputes close {DISPUTE_WINDOW.days} days after the gig."
    return None


def _card_payments_on(booking: BookingLike, ctx: Context) -> str | None:
    if booking.payment_method != PaymentMethod.STRIPE:
        return "This booking is paid by bank transfer or cash, as agreed with the provider."
    return None if ctx.card_payments else "Card payments are not available right now. Please try again later."


def _paid_manually(booking: BookingLike, ctx: Context) -> str | None:
    if booking.payment_method != PaymentMethod.MANUAL:
        return "This booking is paid by card; it is confirmed when the payment arrives."
    return None


def _deposit_paid_manually(booking: BookingLike, ctx: Context) -> str | None:
    if reason := _paid_manually(booking, ctx):
        return reason
    return None if deposit_allowed(booking, ctx.now) else "This booking takes no deposit now: the whole price is due."


def _balance_reminder_due(booking: BookingLike, ctx: Context) -> str | None:
    if ctx.now >= booking.starts_at:
        return "The gig has started: too late to remind."  # e.g. the timers were down for a while
    remind_at = balance_due_at(booking) - BALANCE_REMINDER_LEAD
    if ctx.now < remind_at:
        return "Too soon to remind."
    # updated_at is the last transition: a reminder (or the deposit) after remind_at means reminded already.
    return None if booking.updated_at < remind_at else "Reminded already."


def _balance_overdue(booking: BookingLike, ctx: Context) -> str | None:
    cancel_at = balance_cancel_at(booking)
    if ctx.now >= cancel_at:
        return None
    return f"The balance may be paid until {cancel_at:%d %b %Y}; the provider can cancel only after that."


def _reschedule_possible(booking: BookingLike, ctx: Context) -> str | None:
    if ctx.now >= booking.starts_at:
        return "The gig has started: too late to move it."
    if booking.open_reschedule is not None:
        return "A new time is already proposed: it is accepted, declined or withdrawn first."
    return None


def _reschedule_open(booking: BookingLike, ctx: Context) -> str | None:
    return None if booking.open_reschedule is not None else "No new time has been proposed."


def _reschedule_acceptable(booking: BookingLike, ctx: Context) -> str | None:
    """Accepting moves the gig: not once it has started, and not to a time already past."""
    if reason := _reschedule_open(booking, ctx):
        return reason
    if ctx.now >= booking.starts_at:
        return "The gig has started: too late to move it."
    if ctx.now >= booking.open_reschedule.starts_at:
        return "The proposed time has passed: propose another."
    return None


def proposer_role(booking: BookingLike) -> "Role | None":
    """Which party proposed the open new time, or None when none is open."""
    proposal = booking.open_reschedule
    if proposal is None:
        return None
    return Role.CLIENT if proposal.proposed_by_id == booking.client_id else Role.PROVIDER


def _other_than_proposer(booking: BookingLike, roles: set["Role"]) -> str | None:
    """Whoever did not propose the new time answers it."""
    proposer = proposer_role(booking)
    if proposer is not None and proposer in roles:
        return "You proposed this time: the other party accepts or declines it."
    return None


def _the_proposer(booking: BookingLike, roles: set["Role"]) -> str | None:
    """Only whoever proposed the new time withdraws it."""
    proposer = proposer_role(booking)
    if proposer is not None and proposer not in roles:
        return "Only whoever proposed the new time can withdraw it."
    return None


@dataclass(frozen=True)
class Deadline:
    """When the clock takes `action` on a booking unless a party acts first."""

    at: dt.datetime
    action: str


def deadline_of(booking: BookingLike, ctx: Context) -> Deadline | None:
    """The next timer action and when it is due: the timers' guards (`_timed_out`,
    `_long_after_gig`) let it through from that moment on."""
    if booking.state in (State.REQUESTED, State.ACCEPTED):
        limit = ctx.answer_within if booking.state == State.REQUESTED else ctx.pay_within
        return Deadline(min(booking.updated_at + limit, booking.starts_at), ActionName.EXPIRE)
    if booking.state == State.OFFERED:  # the client's time to answer: the offer's own expiry
        return Deadline(min(booking.offer_expires_at, booking.starts_at), ActionName.EXPIRE)
    if booking.state == State.DEPOSIT_PAID:
        return Deadline(booking.ends_at + ctx.complete_after, ActionName.EXPIRE)
    if booking.state == State.CONFIRMED:
        return Deadline(booking.ends_at + ctx.complete_after, ActionName.AUTO_COMPLETE)
    return None


def _timed_out(booking: BookingLike, ctx: Context) -> str | None:
    """Requests unanswered, offers not taken, or acceptances unpaid, for too long (or until the
    gig began); a deposit whose balance was never paid or marked paid, some days after the gig."""
    return None if _deadline_passed(booking, ctx) else "Not expired yet."


def _long_after_gig(booking: BookingLike, ctx: Context) -> str | None:
    return None if _deadline_passed(booking, ctx) else "Too soon to complete automatically."


def _deadline_passed(booking: BookingLike, ctx: Context) -> bool:
    deadline = deadline_of(booking, ctx)
    return deadline is not None and ctx.now >= deadline.at


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[State]
    target: State | None  # None: the state stays (a checkout starts, or `keeps_state`)
    roles: frozenset[Role]
    button_label: str
    note: str  # what the audit trail says happened
    is_critical: bool = False  # destructive: the page asks for confirmation
    guard: Guard | None = None
    # The action opens a card checkout (the pay page, POST /api/bookings/{id}/checkout) instead
    # of changing the state; the payment's webhook takes the transition later.
    starts_checkout: bool = False
    # The action carries terms of its own (an offer's price, length, expiry): it is taken through
    # its own form and endpoint (bookings.services.offer_send, POST /api/bookings/{id}/offer).
    takes_terms: bool = False
    # The action changes something besides the state, which stays as it is (a new time proposed,
    # accepted, declined): an event in the audit trail from the state to itself.
    keeps_state: bool = False
    # Narrows `roles` on a given booking (see PartyRule); None: everyone in `roles`.
    party: PartyRule | None = None

    def target_from(self, state: str) -> str:
        """The state the action leaves a booking in that is in `state` now."""
        return state if self.keeps_state else self.target

    # The action carries an amount (`amount_minor`: a partial refund staff decide) and is refused
    # without one.
    takes_amount: bool = False
    # The action is refused without a note saying why (staff resolving a dispute): the note is the
    # audit trail's and the parties' record of the decision.
    needs_note: bool = False


def _action(
    name,
    sources,
    target,
    roles,
    label,
    note,
    critical=False,
    guard=None,
    starts_checkout=False,
    takes_terms=False,
    keeps_state=False,
    party=None,
    takes_amount=False,
    needs_note=False,
) -> Action:
    return Action(
        name, frozenset(sources), target, frozenset(roles), label, note, critical, guard, starts_checkout,
        takes_terms, keeps_state, party, takes_amount, needs_note,
    )  # fmt: skip


S, R, N = State, Role, ActionName
ACTIONS: tuple[Action, ...] = (
    _action(N.ACCEPT, [S.REQUESTED], S.ACCEPTED, [R.PROVIDER], "Accept request", "Request accepted"),
    _action(
        N.DECLINE, [S.REQUESTED, S.OFFERED], S.DECLINED, [R.PROVIDER], "Decline", "Request declined", critical=True
    ),
    _action(
        N.OFFER,
        [S.REQUESTED, S.OFFERED],  # from offered: a revised offer replaces the one on the table
        S.OFFERED,
        [R.PROVIDER],
        "Send an offer",
        "Offer sent",
        guard=_gig_ahead,
        takes_terms=True,
    ),
    _action(
        N.ACCEPT_OFFER,
        [S.OFFERED],
        S.ACCEPTED,
        [R.CLIENT],
        "Accept offer",
        "Offer accepted: the booking takes its terms",
        guard=_offer_open,
    ),
    # Declining an offer turns down its terms, not the booking: the request stands as it was
    # asked, for the provider to accept, decline or answer with another offer. Withdraw ends it.
    _action(
        N.DECLINE_OFFER,
        [S.OFFERED],
        S.REQUESTED,
        [R.CLIENT],
        "Decline offer",
        "Offer declined: the request stands as it was",
    ),
    _action(
        N.WITHDRAW,
        [S.REQUESTED, S.OFFERED, S.ACCEPTED],
        S.CANCELLED,
        [R.CLIENT],
        "Withdraw request",
        "Request withdrawn",
        critical=True,
    ),
    _action(
        N.MARK_DEPOSIT_PAID,
        [S.ACCEPTED],
        S.DEPOSIT_PAID,
        [R.PROVIDER],
        "Mark deposit as paid",
        "Deposit received (bank transfer or cash)",
        guard=_deposit_paid_manually,
    ),
    _action(
        N.MARK_PAID,
        [S.ACCEPTED, S.DEPOSIT_PAID],
        S.CONFIRMED,
        [R.PROVIDER],
        "Mark as paid in full",
        "Payment received (bank transfer or cash)",
        guard=_paid_manually,
    ),
    _action(
        N.PAY,
        [S.ACCEPTED, S.DEPOSIT_PAID],
        None,
        [R.CLIENT],
        "Pay now",
        "Card payment started",
        guard=_card_payments_on,
        starts_checkout=True,
    ),
    _action(
        N.CONFIRM_DEPOSIT,
        [S.ACCEPTED],
        S.DEPOSIT_PAID,
        [R.SYSTEM],
        "Confirm deposit",
        "Deposit received by card",
    ),
    _action(
        N.CONFIRM_PAYMENT,
        [S.ACCEPTED, S.DEPOSIT_PAID],
        S.CONFIRMED,
        [R.SYSTEM],
        "Confirm payment",
        "Payment received by card",
    ),
    _action(
        N.REMIND_BALANCE,
        [S.DEPOSIT_PAID],
        S.DEPOSIT_PAID,
        [R.SYSTEM],
        "Remind",
        "Reminder sent: the balance is due soon",
        guard=_balance_reminder_due,
    ),
    _action(
        N.CANCEL_UNPAID,
        [S.DEPOSIT_PAID],
        S.CANCELLED,
        [R.PROVIDER],
        "Cancel: balance unpaid",
        "Cancelled by the provider: the balance was not paid, the deposit is kept",
        critical=True,
        guard=_balance_overdue,
    ),
    _action(
        N.CANCEL,
        [S.DEPOSIT_PAID, S.CONFIRMED],
        S.CANCELLED,
        [R.CLIENT, R.PROVIDER],
        "Cancel booking",
        "Booking cancelled",
        critical=True,
    ),
    _action(
        N.COMPLETE,
        [S.CONFIRMED],
        S.COMPLETED,
        [R.PROVIDER],
        "Mark as completed",
        "Gig completed",
        guard=_gig_started,
    ),
    _action(
        N.DISPUTE,
        [S.CONFIRMED, S.COMPLETED],
        S.DISPUTED,
        [R.CLIENT],
        "Report a problem",
        "Dispute opened",
        critical=True,
        guard=_within_dispute_window,
    ),
    _action(
        N.RESOLVE_RELEASE,
        [S.DISPUTED],
        S.COMPLETED,
        [R.STAFF],
        "Resolve: release payment",
        "Dispute resolved, payment released",
        needs_note=True,
    ),
    _action(
        N.RESOLVE_REFUND,
        [S.DISPUTED],
        S.REFUNDED,
        [R.STAFF],
        "Resolve: refund client",
        "Dispute resolved, client refunded",
        critical=True,
        needs_note=True,
    ),
    # Part back to the client, the rest the provider's: the booking is completed, so a card
    # booking's payout (reduced by the refund) is released by the payout timers as any other.
    _action(
        N.RESOLVE_PARTIAL,
        [S.DISPUTED],
        S.COMPLETED,
        [R.STAFF],
        "Resolve: refund part",
        "Dispute resolved, part refunded",
        critical=True,
        takes_amount=True,
        needs_note=True,
    ),
    _action(
        N.EXPIRE,
        [S.REQUESTED, S.OFFERED, S.ACCEPTED, S.DEPOSIT_PAID],
        S.EXPIRED,
        [R.SYSTEM],
        "Expire",
        "Expired: no answer or no payment in time",
        guard=_timed_out,
    ),
    _action(
        N.AUTO_COMPLETE,
        [S.CONFIRMED],
        S.COMPLETED,
        [R.SYSTEM],
        "Complete",
        "Completed automatically",
        guard=_long_after_gig,
    ),
    # Moving the gig to another time, by agreement: one party proposes (with the new time, through
    # bookings.services.reschedule_propose), the other accepts (the slot is checked again under
    # the provider lock; only the time changes) or declines; the proposer may withdraw it.
    _action(
        N.RESCHEDULE,
        RESCHEDULE_STATES,
        None,
        [R.CLIENT, R.PROVIDER],
        "Propose a new time",
        "Proposed a new time",
        guard=_reschedule_possible,
        takes_terms=True,
        keeps_state=True,
    ),
    _action(
        N.ACCEPT_RESCHEDULE,
        RESCHEDULE_STATES,
        None,
        [R.CLIENT, R.PROVIDER],
        "Accept the new time",
        "Accepted the new time",
        guard=_reschedule_acceptable,
        keeps_state=True,
        party=_other_than_proposer,
    ),
    _action(
        N.DECLINE_RESCHEDULE,
        RESCHEDULE_STATES,
        None,
        [R.CLIENT, R.PROVIDER],
        "Decline the new time",
        "Declined the new time: the booking keeps its time",
        guard=_reschedule_open,
        keeps_state=True,
        party=_other_than_proposer,
    ),
    _action(
        N.WITHDRAW_RESCHEDULE,
        RESCHEDULE_STATES,
        None,
        [R.CLIENT, R.PROVIDER],
        "Withdraw the new time",
        "Withdrew the proposed time: the booking keeps its time",
        guard=_reschedule_open,
        keeps_state=True,
        party=_the_proposer,
    ),
)
ACTIONS_BY_NAME = {a.name: a for a in ACTIONS}
# System actions the clock takes (manage.py run_timers); the other system actions are taken
# by payment webhooks.
TIMER_ACTIONS = (N.EXPIRE, N.AUTO_COMPLETE, N.REMIND_BALANCE)
# The initial transition, for the audit trail and the diagram: a client requests a free slot.
REQUEST = _action(N.REQUEST, [], S.REQUESTED, [R.CLIENT], "Request booking", "Booking requested")


class TransitionNotAllowed(Conflict):
    """The action exists but this actor may not take it on this booking now."""

    code = "transition_not_allowed"


class UnknownAction(NotFound):
    code = "unknown_action"

    def __init__(self, action_name: str):
        super().__init__("That action does not exist.")
        self.action_name = action_name


def roles_of(booking: BookingLike, actor: ActorLike | None) -> set[Role]:
    """Which parts an actor plays on a booking; None is the system (timers, webhooks)."""
    if actor is None:
        return {Role.SYSTEM}
    roles = set()
    if actor.pk == booking.client_id:
        roles.add(Role.CLIENT)
    if actor.pk == booking.provider_id:
        roles.add(Role.PROVIDER)
    if actor.is_staff:
        roles.add(Role.STAFF)
    return roles


def _refusal(action: Action, booking: BookingLike, roles: set[Role], ctx: Context) -> TransitionNotAllowed | None:
    if not roles & action.roles:
        return TransitionNotAllowed(f"You cannot {action.button_label.lower()} on this booking.", "not_your_action")
    if action.party is not None and (reason := action.party(booking, roles & action.roles)):
        return TransitionNotAllowed(reason, "not_your_action")
    if booking.state not in action.sources:
        return TransitionNotAllowed(
            f"“{action.button_label}” is not possible while the booking is {booking.state}.", "wrong_state"
        )
    if action.guard is not None and (reason := action.guard(booking, ctx)):
        return TransitionNotAllowed(reason, "guard")
    return None


def available_actions(booking: BookingLike, actor: ActorLike | None, ctx: Context) -> list[Action]:
    """Exactly the actions this actor may take on this booking now, in table order."""
    roles = roles_of(booking, actor)
    return [a for a in ACTIONS if _refusal(a, booking, roles, ctx) is None]


def get_transition(booking: BookingLike, actor: ActorLike | None, action_name: str, ctx: Context) -> Action:
    """The action if this actor may take it now; otherwise UnknownAction or TransitionNotAllowed."""
    action = ACTIONS_BY_NAME.get(action_name)
    if action is None:
        raise UnknownAction(action_name)
    refusal = _refusal(action, booking, roles_of(booking, actor), ctx)
    if refusal is not None:
        raise refusal
    return action


@dataclass(frozen=True)
class Waiting:
    """A booking the clock takes away at `at` unless `party` acts first, with one of
    `action_names` (the ones of theirs that answer it and that the table allows now)."""

    party: Role  # Role.CLIENT or Role.PROVIDER
    action_names: tuple[str, ...]
    at: dt.datetime


# Whose move it is in the states that expire, and the actions of theirs that answer: a request
# is answered by the provider; an offer by the client; an acceptance is paid by the client by
# card, or, paid by bank transfer or cash, marked paid by the provider.
_ANSWERS: dict[tuple[str, str | None], tuple[Role, tuple[str, ...]]] = {
    (State.REQUESTED, None): (Role.PROVIDER, (ActionName.ACCEPT, ActionName.DECLINE, ActionName.OFFER)),
    (State.OFFERED, None): (Role.CLIENT, (ActionName.ACCEPT_OFFER, ActionName.DECLINE_OFFER)),
    (State.ACCEPTED, PaymentMethod.STRIPE): (Role.CLIENT, (ActionName.PAY,)),
    (State.ACCEPTED, PaymentMethod.MANUAL): (Role.PROVIDER, (ActionName.MARK_PAID, ActionName.MARK_DEPOSIT_PAID)),
}


def waiting_of(booking: BookingLike, ctx: Context) -> Waiting | None:
    """Who must act on the booking by when, or None when no clock runs against either party
    (a deposit's balance has its own dates; a confirmed gig completes on its own)."""
    answer = _ANSWERS.get((booking.state, None)) or _ANSWERS.get((booking.state, booking.payment_method))
    deadline = deadline_of(booking, ctx)
    if answer is None or deadline is None:
        return None
    party, names = answer
    actions = tuple(a.name for a in ACTIONS if a.name in names and _refusal(a, booking, {party}, ctx) is None)
    return Waiting(party, actions, deadline.at)


def mermaid() -> str:
    """The lifecycle as a Mermaid state diagram, generated from the table above."""
    lines = ["stateDiagram-v2", f"    [*] --> {REQUEST.target}: request (client)"]
    for action in ACTIONS:
        if action.starts_checkout or action.keeps_state:  # no change of state to draw
            continue
        who = ", ".join(sorted(r.value for r in action.roles))
        for source in sorted(action.sources):
            lines.append(f"    {source} --> {action.target}: {action.name} ({who})")
    for final in FINAL_STATES:
        lines.append(f"    {final} --> [*]")
    return "\n".join(lines) + "\n"
