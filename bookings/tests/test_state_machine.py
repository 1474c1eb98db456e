"""The lifecycle table, tested as a full matrix: every (state, action, role) is allowed or refused."""

import datetime as dt
from dataclasses import dataclass

import pytest

from bookings.state_machine import (
    ACTIONS,
    ACTIONS_BY_NAME,
    DISPUTE_WINDOW,
    FINAL_STATES,
    Context,
    Deadline,
    Role,
    State,
    TransitionNotAllowed,
    UnknownAction,
    available_actions,
    deadline_of,
    get_transition,
    mermaid,
)

NOW = dt.datetime(2027, 3, 14, 20, 0, tzinfo=dt.UTC)
CLIENT, PROVIDER, STAFF, STRANGER = 1, 2, 3, 4


@dataclass
class FakeProposal:
    proposed_by_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass
class FakeBooking:
    state: str
    client_id: int = CLIENT
    provider_id: int = PROVIDER
    # The gig ended four days ago and nothing moved for ten: no time guard refuses anything.
    starts_at: dt.datetime = NOW - dt.timedelta(days=4, hours=3)
    ends_at: dt.datetime = NOW - dt.timedelta(days=4)
    updated_at: dt.datetime = NOW - dt.timedelta(days=10)
    payment_method: str = "manual"
    deposit_percent: int = 30
    balance_due_days: int = 14
    balance_cancel_days: int = 7
    offer_expires_at: dt.datetime | None = NOW - dt.timedelta(days=5)  # while offered: expired long ago
    open_reschedule: FakeProposal | None = None
    dispute_resolved_at: dt.datetime | None = None


FUTURE_GIG = {"starts_at": NOW + dt.timedelta(days=30), "ends_at": NOW + dt.timedelta(days=30, hours=3)}
# The client proposed to move the gig a week later.
PROPOSED = FakeProposal(CLIENT, NOW + dt.timedelta(days=37), NOW + dt.timedelta(days=37, hours=3))


# The few guards that depend on the booking's terms: a booking each of them lets through.
GUARD_FRIENDLY = {
    "pay": {"payment_method": "stripe"},
    "mark_deposit_paid": FUTURE_GIG,
    "offer": FUTURE_GIG,
    "accept_offer": {**FUTURE_GIG, "offer_expires_at": NOW + dt.timedelta(days=1)},
    "reschedule": FUTURE_GIG,
    "accept_reschedule": {**FUTURE_GIG, "open_reschedule": PROPOSED},
    "decline_reschedule": {**FUTURE_GIG, "open_reschedule": PROPOSED},
    "withdraw_reschedule": {**FUTURE_GIG, "open_reschedule": PROPOSED},
    "remind_balance": {
        "starts_at": NOW + dt.timedelta(days=10),
        "ends_at": NOW + dt.timedelta(days=10, hours=3),
        "updated_at": NOW - dt.timedelta(days=30),
    },
}


@dataclass
class FakeUser:
    pk: int
    is_staff: bool = False


ACTORS = {
    Role.CLIENT: FakeUser(CLIENT),
    Role.PROVIDER: FakeUser(PROVIDER),
    Role.STAFF: FakeUser(STAFF, is_staff=True),
    Role.SYSTEM: None,
    "stranger": FakeUser(STRANGER),
}
CTX = Context(now=NOW, card_payments=True)

MATRIX = [(state, action, role) for state in State for action in ACTIONS for role in ACTORS]
# Actions open to both parties that only one of them may take on a given booking: with the
# client's proposal above, the provider answers it and the client may withdraw it.
ONLY = {
    "accept_reschedule": {Role.PROVIDER},
    "decline_reschedule": {Role.PROVIDER},
    "withdraw_reschedule": {Role.CLIENT},
}


@pytest.mark.parametrize(("state", "action", "role"), MATRIX, ids=lambda v: getattr(v, "name", str(v)))
def test_matrix(state, action, role):
    booking = FakeBooking(state=state, **GUARD_FRIENDLY.get(action.name, {}))
    allowed = state in action.sources and role in action.roles and role in ONLY.get(action.name, action.roles)
    if allowed:
        assert get_transition(booking, ACTORS[role], action.name, CTX) is action
        assert action in available_actions(booking, ACTORS[role], CTX)
    else:
        with pytest.raises(TransitionNotAllowed):
            get_transition(booking, ACTORS[role], action.name, CTX)
        assert action not in available_actions(booking, ACTORS[role], CTX)


def test_the_matrix_is_complete():
    assert len(MATRIX) == len(State) * len(ACTIONS) * 5 == 1375


def test_expected_lifecycle_names_are_stable():
    assert [a.name for a in ACTIONS] == [
        "accept", "decline", "offer", "accept_offer", "decline_offer", "withdraw", "mark_deposit_paid", "mark_paid",
        "pay", "confirm_deposit", "confirm_payment", "remind_balance", "cancel_unpaid", "cancel", "complete", "dispute",
        "resolve_release", "resolve_refund", "resolve_partial", "expire", "auto_complete", "reschedule",
        "accept_reschedule", "decline_reschedule", "withdraw_reschedule",
    ]  # fmt: skip


def test_unknown_action():
    with pytest.raises(UnknownAction):
        get_transition(FakeBooking(State.REQUESTED), ACTORS[Role.PROVIDER], "teleport", CTX)


def test_strangers_have_no_actions_anywhere():
    for state in State:
        assert available_actions(FakeBooking(state), ACTORS["stranger"], CTX) == []


def test_complete_waits_for_the_gig():
    future = FakeBooking(
        State.CONFIRMED, starts_at=NOW + dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=1, hours=3)
    )
    with pytest.raises(TransitionNotAllowed, match="not started"):
        get_transition(future, ACTORS[Role.PROVIDER], "complete", CTX)


def test_dispute_window():
    late = FakeBooking(
        State.COMPLETED,
        starts_at=NOW - DISPUTE_WINDOW - dt.timedelta(days=2),
        ends_at=NOW - DISPUTE_WINDOW - dt.timedelta(days=1),
    )
    with pytest.raises(TransitionNotAllowed, match="Disputes close"):
        get_transition(late, ACTORS[Role.CLIENT], "dispute", CTX)


def test_pay_needs_card_payments():
    booking = FakeBooking(State.ACCEPTED, payment_method="stripe")
    manual_only = Context(now=NOW, card_payments=False)
    assert "pay" not in [a.name for a in available_actions(booking, ACTORS[Role.CLIENT], manual_only)]
    assert "withdraw" in [a.name for a in available_actions(booking, ACTORS[Role.CLIENT], manual_only)]
    with pytest.raises(TransitionNotAllowed, match="not available right now"):
        get_transition(booking, ACTORS[Role.CLIENT], "pay", manual_only)


def test_payment_method_decides_who_confirms_the_payment():
    card = FakeBooking(State.ACCEPTED, payment_method="stripe", deposit_percent=0)
    manual = FakeBooking(State.ACCEPTED, payment_method="manual", deposit_percent=0)
    assert [a.name for a in available_actions(card, ACTORS[Role.CLIENT], CTX)] == ["withdraw", "pay"]
    assert [a.name for a in available_actions(card, ACTORS[Role.PROVIDER], CTX)] == []
    with pytest.raises(TransitionNotAllowed, match="paid by card"):
        get_transition(card, ACTORS[Role.PROVIDER], "mark_paid", CTX)
    assert [a.name for a in available_actions(manual, ACTORS[Role.PROVIDER], CTX)] == ["mark_paid"]
    with pytest.raises(TransitionNotAllowed, match="bank transfer or cash"):
        get_transition(manual, ACTORS[Role.CLIENT], "pay", CTX)


def _deposit_booking(**kw) -> FakeBooking:
    """Gig in 30 days, 30 % deposit, balance due 14 days before, cancellable 7 days before."""
    starts = NOW + dt.timedelta(days=30)
    return FakeBooking(
        **{"state": State.ACCEPTED, "starts_at": starts, "ends_at": starts + dt.timedelta(hours=3), **kw}
    )


def test_deposit_is_offered_only_before_the_balance_is_due():
    booking = _deposit_booking()
    assert get_transition(booking, ACTORS[Role.PROVIDER], "mark_deposit_paid", CTX).target == State.DEPOSIT_PAID
    late = Context(now=booking.starts_at - dt.timedelta(days=14))
    with pytest.raises(TransitionNotAllowed, match="whole price is due"):
        get_transition(booking, ACTORS[Role.PROVIDER], "mark_deposit_paid", late)
    no_deposit = _deposit_booking(deposit_percent=0)
    assert "mark_deposit_paid" not in [a.name for a in available_actions(no_deposit, ACTORS[Role.PROVIDER], CTX)]


def test_balance_reminder_once_three_days_before_it_is_due():
    booking = _deposit_booking(state=State.DEPOSIT_PAID, updated_at=NOW)
    remind_at = booking.starts_at - dt.timedelta(days=14 + 3)
    with pytest.raises(TransitionNotAllowed, match="Too soon"):
        get_transition(booking, None, "remind_balance", Context(now=remind_at - dt.timedelta(minutes=1)))
    assert get_transition(booking, None, "remind_balance", Context(now=remind_at)).name == "remind_balance"
    booking.updated_at = remind_at + dt.timedelta(minutes=1)  # the reminder was a transition
    with pytest.raises(TransitionNotAllowed, match="Reminded already"):
        get_transition(booking, None, "remind_balance", Context(now=remind_at + dt.timedelta(days=1)))


def test_provider_may_cancel_an_unpaid_balance_only_from_the_cancel_point():
    booking = _deposit_booking(state=State.DEPOSIT_PAID)
    cancel_at = booking.starts_at - dt.timedelta(days=7)
    with pytest.raises(TransitionNotAllowed, match="provider can cancel only after"):
        get_transition(booking, ACTORS[Role.PROVIDER], "cancel_unpaid", Context(now=cancel_at - dt.timedelta(hours=1)))
    assert get_transition(booking, ACTORS[Role.PROVIDER], "cancel_unpaid", Context(now=cancel_at)).target == (
        State.CANCELLED
    )
    with pytest.raises(TransitionNotAllowed):
        get_transition(booking, ACTORS[Role.CLIENT], "cancel_unpaid", Context(now=cancel_at))


def test_an_unpaid_balance_expires_some_days_after_the_gig():
    booking = _deposit_booking(state=State.DEPOSIT_PAID)
    after = booking.ends_at + dt.timedelta(days=3)
    with pytest.raises(TransitionNotAllowed):
        get_transition(booking, None, "expire", Context(now=after - dt.timedelta(minutes=1)))
    assert get_transition(booking, None, "expire", Context(now=after)).target == State.EXPIRED


def test_a_provider_who_is_also_staff_gets_both_sets():
    booking = FakeBooking(State.DISPUTED)
    both = FakeUser(PROVIDER, is_staff=True)
    assert {a.name for a in available_actions(booking, both, CTX)} == {
        "resolve_release", "resolve_refund", "resolve_partial"
    }  # fmt: skip


def test_critical_actions_are_the_destructive_ones():
    assert {a.name for a in ACTIONS if a.is_critical} == {
        "decline", "withdraw", "cancel_unpaid", "cancel", "dispute", "resolve_refund", "resolve_partial"
    }  # fmt: skip


def test_staff_resolutions_need_a_note_and_only_part_back_takes_an_amount():
    assert {a.name for a in ACTIONS if a.needs_note} == {"resolve_release", "resolve_refund", "resolve_partial"}
    assert {a.name for a in ACTIONS if a.takes_amount} == {"resolve_partial"}


def test_diagram_has_every_transition():
    diagram = mermaid()
    for action in ACTIONS:
        if action.target is not None:
            for source in action.sources:
                assert f"{source} --> {action.target}: {action.name}" in diagram


def test_expire_waits_for_the_answer_and_payment_windows():
    fresh = FakeBooking(
        State.REQUESTED,
        starts_at=NOW + dt.timedelta(days=30),
        ends_at=NOW + dt.timedelta(days=30, hours=3),
        updated_at=NOW - dt.timedelta(hours=47),
    )
    with pytest.raises(TransitionNotAllowed):
        get_transition(fresh, None, "expire", CTX)
    fresh.updated_at = NOW - dt.timedelta(hours=49)
    assert get_transition(fresh, None, "expire", CTX).name == "expire"
    accepted = FakeBooking(
        State.ACCEPTED, starts_at=fresh.starts_at, ends_at=fresh.ends_at, updated_at=NOW - dt.timedelta(hours=49)
    )
    with pytest.raises(TransitionNotAllowed):  # 72 hours to pay
        get_transition(accepted, None, "expire", CTX)


def test_unanswered_requests_expire_once_the_gig_time_has_come():
    late = FakeBooking(
        State.REQUESTED, starts_at=NOW - dt.timedelta(minutes=1), ends_at=NOW + dt.timedelta(hours=2), updated_at=NOW
    )
    assert get_transition(late, None, "expire", CTX).name == "expire"


def test_auto_complete_waits_days_after_the_gig():
    recent = FakeBooking(
        State.CONFIRMED, starts_at=NOW - dt.timedelta(days=1, hours=3), ends_at=NOW - dt.timedelta(days=1)
    )
    with pytest.raises(TransitionNotAllowed):
        get_transition(recent, None, "auto_complete", CTX)


def _offered(**kw) -> FakeBooking:
    """Offered, gig in 30 days, the offer open for another day."""
    return FakeBooking(**{"state": State.OFFERED, **FUTURE_GIG, "offer_expires_at": NOW + dt.timedelta(days=1), **kw})


def test_each_party_answers_an_offer_in_its_own_way():
    booking = _offered()
    assert [a.name for a in available_actions(booking, ACTORS[Role.CLIENT], CTX)] == [
        "accept_offer", "decline_offer", "withdraw"
    ]  # fmt: skip
    assert [a.name for a in available_actions(booking, ACTORS[Role.PROVIDER], CTX)] == ["decline", "offer"]
    assert available_actions(booking, ACTORS[Role.STAFF], CTX) == []


def test_an_offer_is_accepted_into_accepted_and_declined_back_into_requested():
    booking = _offered()
    assert get_transition(booking, ACTORS[Role.CLIENT], "accept_offer", CTX).target == State.ACCEPTED
    assert get_transition(booking, ACTORS[Role.CLIENT], "decline_offer", CTX).target == State.REQUESTED
    assert get_transition(booking, ACTORS[Role.CLIENT], "withdraw", CTX).target == State.CANCELLED


def test_only_the_offer_and_the_new_time_carry_terms():
    assert [a.name for a in ACTIONS if a.takes_terms] == ["offer", "reschedule"]


def test_an_offer_is_too_late_once_the_gig_has_started():
    started = FakeBooking(State.REQUESTED, starts_at=NOW, ends_at=NOW + dt.timedelta(hours=3), updated_at=NOW)
    with pytest.raises(TransitionNotAllowed, match="too late for an offer"):
        get_transition(started, ACTORS[Role.PROVIDER], "offer", CTX)
    assert get_transition(_offered(), ACTORS[Role.PROVIDER], "offer", CTX).target == State.OFFERED


def test_an_offer_may_be_accepted_until_it_expires_and_expires_from_then_on():
    booking = _offered()
    just_before = Context(now=booking.offer_expires_at - dt.timedelta(seconds=1))
    at_expiry = Context(now=booking.offer_expires_at)
    assert get_transition(booking, ACTORS[Role.CLIENT], "accept_offer", just_before).name == "accept_offer"
    with pytest.raises(TransitionNotAllowed):
        get_transition(booking, None, "expire", just_before)
    with pytest.raises(TransitionNotAllowed, match="The offer has expired"):
        get_transition(booking, ACTORS[Role.CLIENT], "accept_offer", at_expiry)
    assert get_transition(booking, None, "expire", at_expiry).target == State.EXPIRED
    assert "accept_offer" not in [a.name for a in available_actions(booking, ACTORS[Role.CLIENT], at_expiry)]


def test_the_offer_deadline_is_its_expiry_not_the_request_window():
    booking = _offered(updated_at=NOW - dt.timedelta(hours=100))  # a request this old would have expired
    assert deadline_of(booking, CTX) == Deadline(booking.offer_expires_at, "expire")
    with pytest.raises(TransitionNotAllowed):
        get_transition(booking, None, "expire", CTX)


def _moving(**kw) -> FakeBooking:
    """Confirmed, gig in 30 days, the client's proposal to move it a week later open."""
    return FakeBooking(**{"state": State.CONFIRMED, **FUTURE_GIG, "open_reschedule": PROPOSED, **kw})


def test_a_new_time_keeps_the_state_in_every_state_it_is_possible():
    for name in ("reschedule", "accept_reschedule", "decline_reschedule", "withdraw_reschedule"):
        action = ACTIONS_BY_NAME[name]
        assert action.keeps_state and action.target is None
        assert action.sources == {State.REQUESTED, State.ACCEPTED, State.DEPOSIT_PAID, State.CONFIRMED}
        for state in action.sources:
            assert action.target_from(state) == state


def test_either_party_proposes_and_only_the_other_answers():
    free = FakeBooking(State.CONFIRMED, **FUTURE_GIG)
    for role in (Role.CLIENT, Role.PROVIDER):
        assert "reschedule" in [a.name for a in available_actions(free, ACTORS[role], CTX)]
    booking = _moving()
    assert [a.name for a in available_actions(booking, ACTORS[Role.PROVIDER], CTX)] == [
        "cancel", "accept_reschedule", "decline_reschedule"
    ]  # fmt: skip
    assert [a.name for a in available_actions(booking, ACTORS[Role.CLIENT], CTX)] == ["cancel", "withdraw_reschedule"]
    with pytest.raises(TransitionNotAllowed, match="You proposed this time"):
        get_transition(booking, ACTORS[Role.CLIENT], "accept_reschedule", CTX)
    with pytest.raises(TransitionNotAllowed, match="Only whoever proposed"):
        get_transition(booking, ACTORS[Role.PROVIDER], "withdraw_reschedule", CTX)
    assert available_actions(booking, ACTORS[Role.STAFF], CTX) == []


def test_one_proposal_at_a_time_and_none_to_answer_without_one():
    with pytest.raises(TransitionNotAllowed, match="already proposed"):
        get_transition(_moving(), ACTORS[Role.PROVIDER], "reschedule", CTX)
    free = FakeBooking(State.CONFIRMED, **FUTURE_GIG)
    for name in ("accept_reschedule", "decline_reschedule", "withdraw_reschedule"):
        with pytest.raises(TransitionNotAllowed, match="No new time"):
            get_transition(free, ACTORS[Role.PROVIDER], name, CTX)


def test_no_new_time_once_the_gig_has_started_or_offered_or_final():
    started = FakeBooking(State.CONFIRMED, starts_at=NOW, ends_at=NOW + dt.timedelta(hours=3))
    with pytest.raises(TransitionNotAllowed, match="too late to move it"):
        get_transition(started, ACTORS[Role.CLIENT], "reschedule", CTX)
    with pytest.raises(TransitionNotAllowed, match="too late to move it"):
        get_transition(_moving(starts_at=NOW, ends_at=NOW + dt.timedelta(hours=3)), ACTORS[Role.PROVIDER],
                       "accept_reschedule", CTX)  # fmt: skip
    for state in (State.OFFERED, State.COMPLETED, State.DISPUTED, *FINAL_STATES):
        with pytest.raises(TransitionNotAllowed):
            get_transition(FakeBooking(state, **FUTURE_GIG), ACTORS[Role.CLIENT], "reschedule", CTX)


def test_a_proposed_time_that_has_passed_cannot_be_accepted_only_declined():
    late = Context(now=PROPOSED.starts_at)
    booking = _moving(starts_at=NOW + dt.timedelta(days=40), ends_at=NOW + dt.timedelta(days=40, hours=3))
    with pytest.raises(TransitionNotAllowed, match="proposed time has passed"):
        get_transition(booking, ACTORS[Role.PROVIDER], "accept_reschedule", late)
    assert get_transition(booking, ACTORS[Role.PROVIDER], "decline_reschedule", late).name == "decline_reschedule"


def test_the_diagram_leaves_out_actions_that_keep_the_state():
    assert "reschedule" not in mermaid()


def test_a_booking_is_disputed_once_the_resolution_stands():
    resolved = FakeBooking(State.COMPLETED, dispute_resolved_at=NOW - dt.timedelta(days=1))
    assert "dispute" in {a.name for a in available_actions(FakeBooking(State.COMPLETED), FakeUser(CLIENT), CTX)}
    assert "dispute" not in {a.name for a in available_actions(resolved, FakeUser(CLIENT), CTX)}
    with pytest.raises(TransitionNotAllowed, match="the decision stands"):
        get_transition(resolved, FakeUser(CLIENT), "dispute", CTX)
