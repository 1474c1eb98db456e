"""The effects table (gigsta/effects.py): what each action causes, checked at start-up."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from bookings.effects import NONE, Effects, check_effects, effects_of, effects_table
from bookings.notifications import notify_parties
from bookings.state_machine import ACTIONS, REQUEST
from payments.services.checkout import checkouts_close
from payments.services.manual import manual_payment_record
from payments.services.refunds import refunds_record, refunds_send

# The actions after which a booking no longer waits for the payment its open checkouts were for.
SETTLED_OR_ENDED = {
    "withdraw",
    "expire",
    "cancel",
    "cancel_unpaid",
    "mark_deposit_paid",
    "mark_paid",
    "confirm_deposit",
    "confirm_payment",
}


def test_the_table_names_only_actions_of_the_state_machine():
    assert check_effects() == []
    assert set(effects_table()) <= {a.name for a in ACTIONS} | {REQUEST.name}


def test_start_up_refuses_an_effect_for_an_unknown_action(monkeypatch):
    monkeypatch.setitem(effects_table(), "teleport", Effects(tasks=(notify_parties,)))
    errors = check_effects()
    assert [e.id for e in errors] == ["bookings.E001"] and "'teleport' is not an action" in errors[0].msg
    with pytest.raises(SystemCheckError, match=r"bookings\.E001"):
        call_command("check")


def test_start_up_refuses_an_effect_that_is_not_callable_or_a_task_that_is_not_one(monkeypatch):
    monkeypatch.setitem(effects_table(), "accept", Effects(in_transaction=("bookings.notifications.notify_parties",)))
    assert [e.id for e in check_effects()] == ["bookings.E002"]
    monkeypatch.setitem(effects_table(), "accept", Effects(tasks=(notify_parties.func,)))
    assert [e.id for e in check_effects()] == ["bookings.E003"]


@pytest.mark.parametrize("action", [a for a in (*ACTIONS, REQUEST) if not a.starts_checkout], ids=lambda a: a.name)
def test_every_change_of_state_tells_the_parties(action):
    assert notify_parties in effects_of(action.name).tasks


def test_opening_a_checkout_causes_nothing_else():
    assert effects_of("pay") is NONE


def test_open_checkouts_close_when_the_booking_stops_waiting_for_them():
    assert {name for name, e in effects_table().items() if checkouts_close in e.tasks} == SETTLED_OR_ENDED


def test_a_refund_rule_is_recorded_with_the_change_and_sent_by_a_task():
    refunding = {name for name, e in effects_table().items() if e.refund}
    assert refunding == {"cancel", "cancel_unpaid", "resolve_refund", "resolve_partial", "expire"}
    for name in refunding:
        assert refunds_record in effects_of(name).in_transaction
        assert refunds_send in effects_of(name).tasks
    writers = {name for name, e in effects_table().items() if refunds_record in e.in_transaction}
    assert writers == refunding


def test_only_the_providers_paid_buttons_write_payments():
    assert {name for name, e in effects_table().items() if manual_payment_record in e.in_transaction} == {
        "mark_deposit_paid",
        "mark_paid",
    }
