"""Who must act by when: derived from the state machine's own deadline (`waiting_of`), worded
for the reader, on the card, in the lists, the API and the emails."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import auth
from bookings.deadlines import deadline_words, time_left, when
from bookings.models import Booking
from bookings.services import booking_context, booking_request, booking_transition
from bookings.state_machine import Context, State, deadline_of, waiting_of
from bookings.tests.factories import at, make_booking, send_offer
from gigsta.tests.helpers import tasks_run

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (47 * 3600 + 59 * 60, "47 hours left"),
        (3600, "1 hour left"),
        (59 * 60 + 59, "59 minutes left"),
        (30, "1 minute left"),
        (72 * 3600, "3 days left"),
        (0, "the time is up"),
        (-5, "the time is up"),
    ],
)
def test_time_left_never_says_more_than_there_is(seconds, words):
    assert time_left(NOW + dt.timedelta(seconds=seconds), NOW) == words


def test_times_are_in_the_site_zone_with_its_abbreviation(settings):
    assert settings.TIME_ZONE == "Europe/Berlin"
    assert when(dt.datetime(2027, 12, 2, 6, 46, tzinfo=dt.UTC), NOW) == "Thu 2 Dec, 07:46 CET"
    assert when(dt.datetime(2027, 7, 2, 6, 46, tzinfo=dt.UTC), NOW) == "Fri 2 Jul, 08:46 CEST"
    assert when(dt.datetime(2028, 1, 4, 6, 46, tzinfo=dt.UTC), NOW) == "Tue 4 Jan 2028, 07:46 CET"


def test_a_request_waits_for_the_provider_until_the_timer_expires_it(booking):
    ctx = booking_context()
    waiting = waiting_of(booking, ctx)
    assert waiting.party == "provider" and waiting.action_names == ("accept", "decline", "offer")
    assert waiting.at == deadline_of(booking, ctx).at == booking.updated_at + dt.timedelta(hours=48)


def test_each_reader_gets_their_own_words(booking):
    now = booking.updated_at + dt.timedelta(minutes=1)
    waiting = waiting_of(booking, Context(now=now))
    assert deadline_words(booking=booking, waiting=waiting, reader="provider", now=now) == (
        f"You have until {when(waiting.at, now)} to answer — 47 hours left"
    )
    assert deadline_words(booking=booking, waiting=waiting, reader="client", now=now).startswith(
        "Pete Provider has until "
    )
    assert deadline_words(booking=booking, waiting=waiting, reader="client") == (
        f"Pete Provider has until {when(waiting.at)} to answer"
    )


def test_an_offer_waits_for_the_client_until_it_expires(booking):
    offered = send_offer(booking)
    waiting = waiting_of(offered, booking_context())
    assert waiting.party == "client" and waiting.action_names == ("accept_offer", "decline_offer")
    assert waiting.at == offered.offer.expires_at
    words = deadline_words(booking=offered, waiting=waiting, reader="provider")
    assert words.startswith("Carla Client has until ") and words.endswith("to answer your offer")


def test_a_manual_acceptance_waits_for_the_provider_to_mark_it_paid(client_user, service):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    waiting = waiting_of(booking, booking_context())
    assert waiting.party == "provider" and waiting.action_names == ("mark_paid",)  # no deposit on this service
    assert deadline_words(booking=booking, waiting=waiting, reader="client").endswith(
        "to confirm your payment, so pay before then"
    )
    assert deadline_words(booking=booking, waiting=waiting, reader="provider").endswith(
        "to confirm the payment from Carla Client"
    )


def test_a_card_acceptance_waits_for_the_client_to_pay(client_user, service, card_terms):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    waiting = waiting_of(booking, booking_context())
    assert waiting.party == "client" and waiting.action_names == ("pay",)
    assert deadline_words(booking=booking, waiting=waiting, reader="client").startswith("You have until ")


@pytest.mark.parametrize("state", [State.CONFIRMED, State.COMPLETED, State.DECLINED, State.CANCELLED])
def test_bookings_no_clock_runs_against_have_no_deadline(client_user, service, state):
    booking = make_booking(client=client_user, service=service, to_state=state)
    assert waiting_of(booking, booking_context()) is None


def test_the_card_and_the_list_show_the_deadline(client, provider, booking):
    client.force_login(provider)
    card = client.get(reverse("bookings:detail", args=[booking.public_id])).content.decode()
    assert 'data-testid="deadline"' in card and "You have until " in card and "hours left" in card
    rows = client.get(reverse("bookings:list")).content.decode()
    assert 'data-testid="deadline"' in rows and "You have until " in rows and "to answer — 47 hours left" in rows


def test_the_card_says_when_the_time_is_up_before_the_timers_run(client, client_user, booking):
    Booking.objects.filter(pk=booking.pk).update(updated_at=timezone.now() - dt.timedelta(hours=49))
    client.force_login(client_user)
    card = client.get(reverse("bookings:detail", args=[booking.public_id])).content.decode()
    assert "to answer — the time is up" in card


def test_the_api_carries_the_deadline(client, client_user, provider, booking):
    body = client.get(reverse("api:booking_detail_api", args=[booking.public_id]), headers=auth(client_user)).json()
    deadline = body["deadline"]
    assert deadline["party"] == "provider" and deadline["action_names"] == ["accept", "decline", "offer"]
    expected = booking.updated_at + dt.timedelta(hours=48)
    assert abs(dt.datetime.fromisoformat(deadline["at"]) - expected) < dt.timedelta(milliseconds=1)  # JSON keeps ms
    booking_transition(booking=booking, action="decline", actor=provider)
    body = client.get(reverse("api:booking_detail_api", args=[booking.public_id]), headers=auth(client_user)).json()
    assert body["deadline"] is None
    listed = client.get(reverse("api:booking_list_api"), headers=auth(client_user)).json()["items"][0]
    assert listed["deadline"] is None and "actions" in listed  # older fields stay


def test_the_email_announcing_a_request_says_until_when_to_answer(client_user, service, provider):
    booking = booking_request(client=client_user, service=service, starts_at=at(30), venue="Villa Rosa")
    tasks_run()
    [email] = mail.outbox
    waiting = waiting_of(booking, booking_context())
    line = f"You have until {when(waiting.at)} to answer."
    assert line in email.body and line in email.alternatives[0][0]
    assert "hours left" not in email.body  # an email is read later than it is written
