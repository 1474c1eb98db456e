"""Competing accepts on overlapping requests (or offers), on the real PostgreSQL server: exactly one wins.

Runs where DATABASE_URL points at PostgreSQL (CI's second pass). SQLite serialises writers
with IMMEDIATE transactions, which says nothing about row locks, so it is not run there.
"""

import datetime as dt
import importlib
import threading

import pytest
from django.apps import apps
from django.db import connection

from accounts.tests.factories import make_user
from bookings.models import Booking
from bookings.services import SlotTaken, booking_request, booking_transition
from bookings.tests.factories import at, send_offer
from catalog.tests.factories import make_service

ROUNDS = 20
CONTENDERS = 6

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"),
]


@pytest.fixture(autouse=True)
def default_categories(transactional_db):
    """These tests commit, and the database is flushed after each one, which also empties the
    categories a data migration filled: put them back."""
    importlib.import_module("catalog.migrations.0002_default_categories").add_categories(apps, None)


def test_exactly_one_overlapping_accept_wins_every_round():
    provider = make_user("busy@example.com", "Busy Band", role="provider")
    service = make_service(provider, duration_minutes=120)
    clients = [make_user(f"c{i}@example.com", f"Client {i}") for i in range(CONTENDERS)]
    winners_per_round = []
    for round_no in range(ROUNDS):
        start = at(10 + round_no)
        requests = [
            booking_request(client=c, service=service, starts_at=start + dt.timedelta(minutes=15 * i), venue="Hall")
            for i, c in enumerate(clients)
        ]
        barrier = threading.Barrier(CONTENDERS)
        outcomes: list[str] = []

        def accept(booking: Booking) -> None:
            try:
                barrier.wait()
                booking_transition(booking=booking, action="accept", actor=provider)
                outcomes.append("won")
            except SlotTaken:
                outcomes.append("refused")
            finally:
                connection.close()  # this thread's own connection

        threads = [threading.Thread(target=accept, args=(b,)) for b in requests]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        accepted = Booking.objects.filter(pk__in=[b.pk for b in requests], state="accepted").count()
        winners_per_round.append(accepted)
        assert sorted(outcomes) == ["refused"] * (CONTENDERS - 1) + ["won"], (round_no, outcomes)
    assert winners_per_round == [1] * ROUNDS


def test_an_offer_accepted_while_its_longer_slot_is_taken_loses_or_wins_alone():
    """The client accepts a longer offer while the provider accepts another request inside its
    new length: under the provider lock exactly one of them holds the time, every round."""
    provider = make_user("offers@example.com", "Offer Band", role="provider")
    service = make_service(provider, duration_minutes=120)
    client, rival = make_user("co@example.com", "Offer Client"), make_user("ri@example.com", "Rival Client")
    for round_no in range(ROUNDS // 2):
        start = at(10 + round_no)
        request = booking_request(client=client, service=service, starts_at=start, venue="Hall")
        offered = send_offer(request, duration_minutes=360)
        inside = booking_request(client=rival, service=service, starts_at=start + dt.timedelta(hours=3), venue="Pier")
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def take(name: str, booking: Booking, action: str, actor) -> None:
            try:
                barrier.wait()
                booking_transition(booking=booking, action=action, actor=actor)
                outcomes[name] = "won"
            except SlotTaken:
                outcomes[name] = "refused"
            finally:
                connection.close()

        threads = [
            threading.Thread(target=take, args=("offer", offered, "accept_offer", client)),
            threading.Thread(target=take, args=("request", inside, "accept", provider)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(outcomes.values()) == ["refused", "won"], (round_no, outcomes)
        held = Booking.objects.filter(pk__in=[offered.pk, inside.pk], state="accepted").count()
        assert held == 1, round_no


def test_a_new_time_accepted_while_another_booking_takes_it_loses_or_wins_alone():
    """The provider accepts a client's proposal to move a held gig while, at the same moment, they
    accept another request at the proposed time: under the provider lock exactly one of them holds
    it, every round, and the loser changes nothing."""
    from bookings.services import reschedule_propose

    provider = make_user("moves@example.com", "Moving Band", role="provider")
    service = make_service(provider, duration_minutes=120)
    client, rival = make_user("cm@example.com", "Moving Client"), make_user("rm@example.com", "Rival Mover")
    for round_no in range(ROUNDS // 2):
        held = booking_request(client=client, service=service, starts_at=at(10 + round_no), venue="Hall")
        held = booking_transition(booking=held, action="accept", actor=provider).booking
        new_time = at(40 + round_no)
        reschedule_propose(booking=held, actor=client, starts_at=new_time)
        other = booking_request(client=rival, service=service, starts_at=new_time + dt.timedelta(hours=1), venue="Pier")
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def take(name: str, booking: Booking, action: str) -> None:
            try:
                barrier.wait()
                booking_transition(booking=booking, action=action, actor=provider)
                outcomes[name] = "won"
            except SlotTaken:
                outcomes[name] = "refused"
            finally:
                connection.close()

        threads = [
            threading.Thread(target=take, args=("move", held, "accept_reschedule")),
            threading.Thread(target=take, args=("other", other, "accept")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(outcomes.values()) == ["refused", "won"], (round_no, outcomes)
        held, other = Booking.objects.get(pk=held.pk), Booking.objects.get(pk=other.pk)
        if outcomes["move"] == "won":
            assert (held.starts_at, other.state) == (new_time, "requested"), round_no
        else:
            assert (held.starts_at, held.reschedule_id is not None, other.state) == (
                at(10 + round_no),
                True,
                "accepted",
            )
