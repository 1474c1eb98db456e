"""Disputes resolved with part of the money back, on card bookings: the refund goes to the card
through the refund task, the provider is paid the rest less the fee by the payout timers, nothing
is paid twice, and the ledger adds up to FakeStripe's balance. Bad amounts and repeats change
nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import auth
from bookings.models import BookingEvent
from bookings.services import booking_transition
from bookings.state_machine import State, TransitionNotAllowed
from gigsta.tests.helpers import tasks_run
from payments.errors import RefundTooLarge
from payments.selectors import booking_money
from payments.services.payouts import payouts_release
from payments.tests.stripe_flow.helpers import PRICE, Kind, ledger
from payments.tests.stripe_flow.test_payouts import ledger_balance

pytestmark = pytest.mark.django_db
FEE_BPS = 1000  # 10 %
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def disputed(settings, book, pay, act, client_user):
    """A card booking of 1,500.00 EUR paid in full; the client reports a problem after the gig."""
    settings.PLATFORM_FEE_PERCENT = 10
    booking = book(days=3)
    pay(booking, "full")
    booking.refresh_from_db()
    return act(booking, "dispute", client_user, now=booking.ends_at + dt.timedelta(hours=2), note="Half the set.")


def _resolve(act, booking, staff_user, amount, note="They played half the set: half back."):
    return act(booking, "resolve_partial", staff_user, amount_minor=amount, note=note, source="admin")


def test_part_goes_back_to_the_card_and_the_rest_less_the_fee_is_paid_out_once(
    disputed, act, staff_user, fake_stripe, mailoutbox
):
    refund = 60_000
    booking = _resolve(act, disputed, staff_user, refund)

    assert booking.state == State.COMPLETED
    event = booking.events.get(action="resolve_partial")
    assert event.amount_minor == refund
    assert (
        event.note == "Dispute resolved, part refunded: €600 back to the client: They played half the set: half back."
    )
    [due] = ledger(booking, Kind.REFUND_DUE)
    assert (due.amount_minor, due.booking_event, due.note) == (
        refund,
        event,
        "Dispute resolved by GigSta staff: €600 back",
    )
    [refunded] = ledger(booking, Kind.REFUNDED)
    assert refunded.settles == due
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [refund]
    client_mail = [m for m in mailoutbox if m.to == [booking.client.email]]
    assert any("It is on its way back to the card it was paid with" in m.body for m in client_mail)
    assert any("We have refunded €600 to the card you paid with" in m.body for m in client_mail)

    # Held until the dispute window closes, then the provider gets what is left less the fee.
    hold = booking_money(booking).hold
    payout = (PRICE - refund) - (PRICE - refund) * FEE_BPS // 10_000
    assert (hold.kind, hold.amount_minor) == ("held", payout)
    assert payouts_release(now=booking.payout_release_at - MINUTE) == 0
    assert payouts_release(now=booking.payout_release_at) == 1
    tasks_run()
    assert payouts_release(now=booking.payout_release_at + dt.timedelta(days=1)) == 0
    tasks_run()
    assert [t["amount"] for t in fake_stripe.transfers.values()] == [payout]
    assert [e.kind for e in ledger(booking)] == [
        Kind.CHECKOUT_STARTED, Kind.CAPTURED, Kind.REFUND_DUE, Kind.REFUNDED, Kind.PAYOUT_DUE, Kind.PAID_OUT,
    ]  # fmt: skip
    fee = (PRICE - refund) * FEE_BPS // 10_000
    assert fake_stripe.balance() == ledger_balance() == fee == 9_000


def test_the_whole_amount_may_go_back_and_then_nothing_is_paid_out(disputed, act, staff_user, fake_stripe):
    booking = _resolve(act, disputed, staff_user, PRICE)

    assert booking.state == State.COMPLETED
    assert payouts_release(now=booking.payout_release_at) == 0
    assert fake_stripe.transfers == {}
    assert fake_stripe.balance() == ledger_balance() == 0


@pytest.mark.parametrize(
    ("amount", "field", "words"),
    [
        (None, "amount_minor", "Say how much to refund."),
        (0, "amount_minor", "Refund more than nothing"),
        (-500, "amount_minor", "Refund more than nothing"),
    ],
)
def test_a_missing_or_non_positive_amount_is_refused_and_nothing_is_written(
    disputed, staff_user, fake_stripe, amount, field, words
):
    events, tasks = BookingEvent.objects.count(), DBTaskResult.objects.count()
    with pytest.raises(ValidationError) as exc:
        booking_transition(
            booking=disputed, action="resolve_partial", actor=staff_user, note="Why", amount_minor=amount
        )
    assert words in exc.value.message_dict[field][0]
    disputed.refresh_from_db()
    assert disputed.state == State.DISPUTED
    assert (BookingEvent.objects.count(), DBTaskResult.objects.count()) == (events, tasks)
    assert ledger(disputed, Kind.REFUND_DUE) == []


def test_more_than_was_paid_is_refused_and_nothing_is_written(disputed, staff_user, fake_stripe):
    events, tasks = BookingEvent.objects.count(), DBTaskResult.objects.count()
    with pytest.raises(RefundTooLarge) as exc:
        booking_transition(
            booking=disputed, action="resolve_partial", actor=staff_user, note="Why", amount_minor=PRICE + 1
        )
    assert str(exc.value) == "Refund at most €1,500: that is what remains of what the client paid."
    disputed.refresh_from_db()
    assert disputed.state == State.DISPUTED
    assert (BookingEvent.objects.count(), DBTaskResult.objects.count()) == (events, tasks)
    assert ledger(disputed, Kind.REFUND_DUE) == [] and fake_stripe.refunds == {}


def test_a_resolution_without_a_note_is_refused(disputed, staff_user):
    for action in ("resolve_release", "resolve_refund", "resolve_partial"):
        with pytest.raises(ValidationError) as exc:
            booking_transition(booking=disputed, action=action, actor=staff_user, note="  ", amount_minor=100)
        assert "note" in exc.value.message_dict
    disputed.refresh_from_db()
    assert disputed.state == State.DISPUTED


def test_only_part_back_takes_an_amount(disputed, staff_user):
    with pytest.raises(ValidationError) as exc:
        booking_transition(booking=disputed, action="resolve_refund", actor=staff_user, note="Why", amount_minor=100)
    assert exc.value.message_dict["amount_minor"] == ["“Resolve: refund client” takes no amount."]


def test_a_second_resolution_is_refused_and_refunds_nothing_more(disputed, act, staff_user, client_user, fake_stripe):
    booking = _resolve(act, disputed, staff_user, 50_000)
    assert booking.dispute_resolved_at is not None
    with pytest.raises(TransitionNotAllowed, match="the decision stands"):  # and no second dispute
        booking_transition(booking=booking, action="dispute", actor=client_user, note="More", now=booking.ends_at)
    for action, amount in (("resolve_partial", 50_000), ("resolve_refund", None), ("resolve_release", None)):
        with pytest.raises(TransitionNotAllowed):
            booking_transition(booking=booking, action=action, actor=staff_user, note="Again", amount_minor=amount)
    assert [d.amount_minor for d in ledger(booking, Kind.REFUND_DUE)] == [50_000]
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [50_000]


def test_only_staff_resolve(disputed, client_user, provider):
    for actor in (client_user, provider):
        with pytest.raises(TransitionNotAllowed):
            booking_transition(booking=disputed, action="resolve_partial", actor=actor, note="Mine", amount_minor=1)


def test_the_api_takes_the_amount_and_says_what_is_wrong(client, disputed, staff_user, fake_stripe):
    url = reverse("api:booking_action_api", args=[disputed.public_id, "resolve_partial"])
    headers = auth(staff_user)

    def post(body):
        return client.post(url, body, content_type="application/json", headers=headers)

    answer = post({"amount_minor": 10_000})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "note", "message": answer.json()["errors"][0]["message"]}]
    assert post({"note": "x", "amount_minor": 0}).status_code == 422
    too_much = post({"note": "Too much", "amount_minor": PRICE + 1})
    assert (too_much.status_code, too_much.json()["code"]) == (409, "refund_too_large")
    actions = client.get(reverse("api:booking_actions_api", args=[disputed.public_id]), headers=headers).json()
    partial = next(a for a in actions if a["action_name"] == "resolve_partial")
    assert (partial["takes_amount"], partial["needs_note"]) == (True, True)

    done = post({"note": "A third back.", "amount_minor": 50_000})
    assert done.status_code == 200 and done.json()["state"] == "completed"
    assert ledger(disputed, Kind.REFUND_DUE)[0].amount_minor == 50_000
    assert post({"note": "Again", "amount_minor": 50_000}).status_code == 409
