"""Disputes about bookings paid by bank transfer or cash: GigSta never held the money, so a
resolution with part back tells the provider to refund it and says plainly, on the pages and in
the emails, that GigSta cannot enforce it."""

import re

import pytest
from django.urls import reverse

from bookings.services import booking_transition
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from payments.models import PaymentEvent
from payments.selectors import booking_money
from payments.services.manual import manual_refund_mark_sent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("manual_terms")]
PRICE = 100_000  # 1,000.00 EUR


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def disputed(settings, client_user, provider):
    settings.SUPPORT_EMAIL = "help@gigsta.example"
    service = make_service(provider, price_minor=PRICE)
    return make_booking(client=client_user, service=service, to_state="disputed")


@pytest.fixture
def resolved(disputed, staff_user, mailoutbox):
    mailoutbox.clear()
    booking_transition(
        booking=disputed, action="resolve_partial", actor=staff_user, note="Late by two hours.", amount_minor=30_000
    )
    tasks_run()
    disputed.refresh_from_db()
    return disputed


def test_the_provider_owes_the_part_and_nothing_goes_to_stripe(resolved):
    assert resolved.state == "completed"
    [due] = PaymentEvent.objects.filter(kind=PaymentEvent.Kind.REFUND_DUE)
    assert (due.amount_minor, due.payment.method) == (30_000, "manual")
    assert not PaymentEvent.objects.filter(kind=PaymentEvent.Kind.REFUNDED).exists()  # the provider marks it sent
    money = booking_money(resolved)
    assert (money.kept, money.refund_pending, money.hold.kind) == (70_000, 30_000, "direct")


def test_the_pages_say_who_refunds_and_that_gigsta_cannot_enforce_it(client, resolved, client_user, provider):
    client.force_login(client_user)
    text = text_of(client.get(reverse("bookings:detail", args=[resolved.public_id])))
    assert (
        "The dispute was resolved by GigSta staff: Pete Provider is to refund €300 to you by bank transfer or cash. "
        "GigSta cannot enforce it: the money was paid to Pete Provider directly, never to GigSta. "
        "If it does not arrive, write to help@gigsta.example" in text
    )
    assert "Still to pay" not in text  # what was refunded is not owed again
    assert "€300 is to be refunded by Pete Provider" in text
    assert "Late by two hours." in text  # staff's note, in the history

    client.force_login(provider)
    text = text_of(client.get(reverse("bookings:detail", args=[resolved.public_id])))
    assert "please refund €300 to Carla Client by bank transfer or cash" in text
    assert "GigSta cannot enforce it" in text
    assert "Please refund €300 to Carla Client by bank transfer or cash" in text  # the box with the button


def test_the_emails_say_it_too(resolved, mailoutbox, client_user, provider):
    by_to = {m.to[0]: m for m in mailoutbox if "part refunded" in m.subject}
    assert set(by_to) == {client_user.email, provider.email}
    body = by_to[client_user.email].body
    assert "Dispute resolved, part refunded: €300 back to the client: Late by two hours." in body
    assert "Refund to Carla Client: €300." in body
    assert "Pete Provider returns it by bank transfer or cash and marks it sent on the booking page." in body
    assert "GigSta decided this refund but cannot enforce it" in body
    assert "write to help@gigsta.example" in body
    assert "on its way back to the card" not in body


def test_once_marked_sent_the_ledger_settles(resolved, provider):
    due = PaymentEvent.objects.get(kind=PaymentEvent.Kind.REFUND_DUE)
    manual_refund_mark_sent(due=due, actor=provider)
    money = booking_money(resolved)
    assert (money.paid, money.refunded, money.refund_pending, money.kept) == (PRICE, 30_000, 0, 70_000)
