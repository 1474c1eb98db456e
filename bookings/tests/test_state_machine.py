"""The lifecycle table, tested as a full matrix: every (state, action, role) is allowed or refused."""

import datetime as dt
from dataclasses import dataclass

import pytest

from bookings.state_machine import (
    ACTIONS,
    DISPUTE_WINDOW,
    Context,
    Role,
    State,
    TransitionNotAllowed,
    UnknownAction,
    available_actions,
    get_transition,
    mermaid,
)

NOW = dt.datetime(2027, 3, 14, 20, 0, tzinfo=dt.UTC)
CLIENT, PROVIDER, STAFF, STRANGER = 1, 2, 3, 4


@dataclass
class FakeBooking:
    state: str
    client_id: int = CLIENT
    provider_id: int = PROVIDER
    # The gig ended four days ago and nothing moved for ten: no time guard refuses anything.
    starts_at: dt.datetime = NOW - dt.timedelta(days=4, hours=3)
    ends_at: dt.datetime = NOW - dt.timedelta(days=4)
    updated_at: dt.datetime = NOW - dt.timedelta(days=10)


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


@pytest.mark.parametrize(("state", "action", "role"), MATRIX, ids=lambda v: getattr(v, "name", str(v)))
def test_matrix(state, action, role):
    booking = FakeBooking(state=state)
    allowed = state in action.sources and role in action.roles
    if allowed:
        assert get_transition(booking, ACTORS[role], action.name, CTX) is action
        assert action in available_actions(booking, ACTORS[role], CTX)
    else:
        with pytest.raises(TransitionNotAllowed):
            get_transition(booking, ACTORS[role], action.name, CTX)
        assert action not in available_actions(booking, ACTORS[role], CTX)


def test_the_matrix_is_complete():
    assert len(MATRIX) == len(State) * len(ACTIONS) * 5 == 540


def test_expected_lifecycle_names_are_stable():
    assert [a.name for a in ACTIONS] == [
        "accept", "decline", "withdraw", "mark_paid", "pay", "cancel", "complete", "dispute",
        "resolve_release", "resolve_refund", "expire", "auto_complete",
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
    booking = FakeBooking(State.ACCEPTED)
    manual_only = Context(now=NOW, card_payments=False)
    assert "pay" not in [a.name for a in available_actions(booking, ACTORS[Role.CLIENT], manual_only)]
    assert "withdraw" in [a.name for a in available_actions(booking, ACTORS[Role.CLIENT], manual_only)]


def test_a_provider_who_is_also_staff_gets_both_sets():
    booking = FakeBooking(State.DISPUTED)
    both = FakeUser(PROVIDER, is_staff=True)
    assert {a.name for a in available_actions(booking, both, CTX)} == {"resolve_release", "resolve_refund"}


def test_critical_actions_are_the_destructive_ones():
    assert {a.name for a in ACTIONS if a.is_critical} == {"decline", "withdraw", "cancel", "dispute", "resolve_refund"}


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
