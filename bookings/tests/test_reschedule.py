"""Moving a gig by agreement: reschedule_propose, and the answers through booking_transition
(accept_reschedule moves the time, the busy days and the reminders; decline and withdraw keep it),
with the refusals that change nothing."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import make_user
from bookings.models import Booking, BookingEvent, Reminder, RescheduleProposal
from bookings.services import (
    SlotTaken,
    booking_context,
    booking_transition,
    gig_time_words,
    reschedule_propose,
)
from bookings.state_machine import TransitionNotAllowed, waiting_of
from bookings.tests.factories import at, make_booking
from catalog.models import BusyDay
from catalog.services import busy_day_block
from gigsta.tests.helpers import tasks_due, tasks_run
from inbox.models import Notification

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)
BERLIN = "Europe/Berlin"


@pytest.fixture
def confirmed(client_user, service):
    return make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(30))


def propose(booking, actor, starts_at, note=""):
    return reschedule_propose(booking=booking, actor=actor, starts_at=starts_at, note=note).booking


def answer(booking, action, actor):
    return booking_transition(booking=booking, action=action, actor=actor).booking


def busy_days(booking) -> list[dt.date]:
    rows = BusyDay.objects.filter(kind=BusyDay.Kind.BOOKING, source_id=booking.public_id)
    return sorted(rows.values_list("date", flat=True))


def snapshot(booking) -> tuple:
    """Everything about a booking that a refused proposal or answer must leave as it was."""
    booking = Booking.objects.get(pk=booking.pk)
    return (
        booking.state,
        booking.starts_at,
        booking.ends_at,
        booking.updated_at,
        booking.reschedule_id,
        booking.events.count(),
        RescheduleProposal.objects.filter(booking=booking).count(),
        busy_days(booking),
        tasks_due().count(),
    )


class TestPropose:
    def test_a_proposal_waits_for_the_other_party_and_tells_them(self, confirmed, client_user, provider):
        mail.outbox.clear()
        before = snapshot(confirmed)
        booking = propose(confirmed, client_user, at(37, 21), note="The venue moved us a week.")
        proposal = RescheduleProposal.objects.get()
        assert booking.reschedule == proposal and proposal.state == "open"
        assert (proposal.proposed_by, proposal.starts_at, proposal.ends_at) == (client_user, at(37, 21), at(38, 0))
        assert proposal.was_starts_at == at(30) and proposal.note == "The venue moved us a week."
        booking = Booking.objects.get(pk=booking.pk)
        assert (booking.state, booking.starts_at, booking.ends_at) == ("confirmed", at(30), at(30, 23))
        assert booking.updated_at == before[3]  # the clock that deadlines count from does not move
        event = booking.events.last()
        assert (event.action, event.from_state, event.to_state, event.actor) == (
            "reschedule", "confirmed", "confirmed", client_user,
        )  # fmt: skip
        new, old = gig_time_words(at(37, 21), BERLIN), gig_time_words(at(30), BERLIN)
        assert event.note == f"Proposed a new time: {new} (instead of {old}): The venue moved us a week."
        assert new.endswith(("21:00 CET", "21:00 CEST"))
        tasks_run()
        assert [m.to for m in mail.outbox] == [[provider.email]]
        assert "Accept or decline it on the booking page" in mail.outbox[0].body
        assert Notification.objects.filter(recipient=provider, text__contains="Proposed a new time").count() == 1
        assert not Notification.objects.filter(recipient=client_user, text__contains="Proposed a new time").exists()

    def test_the_provider_may_propose_too_and_a_request_may_be_moved(self, booking, provider, client_user):
        booking = propose(booking, provider, at(31))
        assert booking.state == "requested" and booking.reschedule.proposed_by == provider
        assert answer(booking, "accept_reschedule", client_user).starts_at == at(31)

    @pytest.mark.parametrize(
        ("starts_at", "words"),
        [
            (lambda: timezone.now() - HOUR, "Pick a time in the future."),
            (lambda: timezone.now() + 23 * HOUR, "Pick a time at least 24 hours ahead."),
            (lambda: at(30), "That is the booking's time already: pick another."),
            (lambda: dt.datetime(2030, 1, 1, 20), "Give the time with its time zone."),
            (lambda: timezone.now() + dt.timedelta(days=3700), "Pick a time within the next 10 years."),
        ],
        ids=["past", "short-notice", "same-time", "naive", "too-far"],
    )
    def test_a_bad_time_is_refused_and_nothing_changes(self, confirmed, client_user, starts_at, words):
        before = snapshot(confirmed)
        with pytest.raises(ValidationError) as refused:
            propose(confirmed, client_user, starts_at())
        assert refused.value.message_dict == {"starts_at": [words]}
        assert snapshot(confirmed) == before

    def test_the_minimum_notice_is_a_setting(self, confirmed, client_user, settings):
        settings.BOOKING_RESCHEDULE_NOTICE_HOURS = 72
        with pytest.raises(ValidationError, match="at least 72 hours ahead"):
            propose(confirmed, client_user, timezone.now() + 48 * HOUR)

    def test_a_taken_slot_is_refused_and_nothing_changes(self, confirmed, client_user, service):
        rival = make_user("rival@example.com", "Rival Client")
        make_booking(client=rival, service=service, to_state="accepted", starts_at=at(40))
        before = snapshot(confirmed)
        with pytest.raises(SlotTaken, match="already booked at that time"):
            propose(confirmed, client_user, at(40, 21))  # overlaps the rival's 20:00-23:00
        assert snapshot(confirmed) == before

    def test_a_blocked_day_is_refused_and_nothing_changes(self, confirmed, client_user, provider):
        busy_day_block(provider=provider, start=at(41).date())
        before = snapshot(confirmed)
        with pytest.raises(SlotTaken, match="not available that day"):
            propose(confirmed, client_user, at(41, 12))
        assert snapshot(confirmed) == before

    def test_its_own_time_does_not_stand_in_the_way(self, confirmed, client_user):
        """Half an hour later overlaps the booking itself: that is not a clash."""
        assert propose(confirmed, client_user, at(30) + HOUR / 2).reschedule.starts_at == at(30) + HOUR / 2

    def test_one_open_proposal_at_a_time(self, confirmed, client_user, provider):
        propose(confirmed, client_user, at(37))
        before = snapshot(confirmed)
        for actor in (client_user, provider):
            with pytest.raises(TransitionNotAllowed, match="already proposed"):
                propose(confirmed, actor, at(38))
        assert snapshot(confirmed) == before
        with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
            RescheduleProposal.objects.create(
                booking=confirmed, proposed_by=provider, starts_at=at(39), ends_at=at(39, 23), was_starts_at=at(30)
            )

    def test_strangers_and_finished_bookings_cannot_be_moved(self, confirmed, client_user, service, stranger):
        with pytest.raises(TransitionNotAllowed):
            propose(confirmed, stranger, at(37))
        cancelled = make_booking(client=client_user, service=service, to_state="cancelled", starts_at=at(50))
        with pytest.raises(TransitionNotAllowed, match="not possible while the booking is cancelled"):
            propose(cancelled, client_user, at(51))

    def test_the_form_only_action_is_refused_as_a_plain_transition(self, confirmed, client_user):
        with pytest.raises(TransitionNotAllowed, match=r"POST /api/bookings/\{id\}/reschedule"):
            booking_transition(booking=confirmed, action="reschedule", actor=client_user)


class TestAccept:
    def test_accepting_moves_the_time_and_the_busy_days_and_keeps_everything_else(
        self, confirmed, client_user, provider
    ):
        assert busy_days(confirmed) == [at(30).date()]
        terms = ("price_minor", "currency", "payment_method", "fee_bps", "deposit_percent", "cancellation_policy")
        kept = {name: getattr(confirmed, name) for name in terms}
        updated_at = Booking.objects.get(pk=confirmed.pk).updated_at
        propose(confirmed, client_user, at(37, 22))  # 22:00-01:00: two days
        tasks_run()
        mail.outbox.clear()
        booking = answer(confirmed, "accept_reschedule", provider)
        booking = Booking.objects.get(pk=booking.pk)
        assert (booking.state, booking.starts_at, booking.ends_at) == ("confirmed", at(37, 22), at(38, 1))
        assert {name: getattr(booking, name) for name in terms} == kept
        assert booking.updated_at == updated_at and booking.reschedule is None
        assert busy_days(booking) == [at(37).date(), at(38).date()]
        proposal = RescheduleProposal.objects.get()
        assert proposal.state == "accepted" and proposal.decided_at is not None
        event = booking.events.last()
        assert (event.action, event.from_state, event.to_state, event.actor) == (
            "accept_reschedule", "confirmed", "confirmed", provider,
        )  # fmt: skip
        assert event.note == (
            f"Accepted the new time: {gig_time_words(at(37, 22), BERLIN)} (was {gig_time_words(at(30), BERLIN)})"
        )
        assert [e.action for e in booking.events.all()][-2:] == ["reschedule", "accept_reschedule"]
        tasks_run()
        assert [m.to for m in mail.outbox] == [[client_user.email]]
        assert "Accepted the new time" in mail.outbox[0].body
        assert at(37, 22).astimezone(timezone.get_current_timezone()).strftime("%H:%M") in mail.outbox[0].body

    def test_money_already_paid_stays_paid(self, confirmed, client_user, provider):
        from payments.selectors import booking_money

        paid_before = booking_money(confirmed, timezone.now()).paid
        propose(confirmed, provider, at(33))
        booking = answer(confirmed, "accept_reschedule", client_user)
        assert booking_money(booking, timezone.now()).paid == paid_before > 0

    def test_only_the_other_party_accepts(self, confirmed, client_user, provider, stranger):
        propose(confirmed, client_user, at(37))
        before = snapshot(confirmed)
        for actor, words in ((client_user, "You proposed this time"), (stranger, "cannot")):
            for action in ("accept_reschedule", "decline_reschedule"):
                with pytest.raises(TransitionNotAllowed, match=words):
                    answer(confirmed, action, actor)
        with pytest.raises(TransitionNotAllowed, match="Only whoever proposed"):
            answer(confirmed, "withdraw_reschedule", provider)
        assert snapshot(confirmed) == before

    def test_a_slot_taken_since_the_proposal_refuses_the_accept_and_nothing_changes(
        self, booking, client_user, provider, service
    ):
        """A request (not holding its date) is moved to a time that another booking takes meanwhile."""
        propose(booking, client_user, at(40))
        rival = make_user("rival@example.com", "Rival Client")
        make_booking(client=rival, service=service, to_state="accepted", starts_at=at(40, 18))
        before = snapshot(booking)
        with pytest.raises(SlotTaken):
            answer(booking, "accept_reschedule", provider)
        assert snapshot(booking) == before
        assert RescheduleProposal.objects.get().state == "open"  # it may still be declined

    def test_a_day_blocked_since_the_proposal_refuses_the_accept(self, confirmed, client_user, provider):
        propose(confirmed, client_user, at(41))
        busy_day_block(provider=provider, start=at(41).date())
        before = snapshot(confirmed)
        with pytest.raises(SlotTaken, match="not available that day"):
            answer(confirmed, "accept_reschedule", provider)
        assert snapshot(confirmed) == before

    def test_the_feed_sequence_moves_with_each_step(self, confirmed, client_user, provider):
        from calendars.selectors import calendar_booking_for_user

        def sequence():
            return calendar_booking_for_user(user=client_user, public_id=confirmed.public_id).sequence

        first = sequence()
        propose(confirmed, client_user, at(37))
        answer(confirmed, "accept_reschedule", provider)
        assert sequence() == first + 2


class TestDeclineAndWithdraw:
    def test_declining_keeps_the_time(self, confirmed, client_user, provider):
        propose(confirmed, provider, at(37))
        tasks_run()
        mail.outbox.clear()
        booking = Booking.objects.get(pk=answer(confirmed, "decline_reschedule", client_user).pk)
        assert (booking.starts_at, booking.ends_at, booking.reschedule) == (at(30), at(30, 23), None)
        assert busy_days(booking) == [at(30).date()]
        assert RescheduleProposal.objects.get().state == "declined"
        event = booking.events.last()
        assert event.note == (
            f"Declined the new time {gig_time_words(at(37), BERLIN)}: the booking stays at "
            f"{gig_time_words(at(30), BERLIN)}"
        )
        tasks_run()
        assert [m.to for m in mail.outbox] == [[provider.email]]
        propose(booking, client_user, at(38))  # a new proposal may follow
        assert RescheduleProposal.objects.filter(state="open").count() == 1

    def test_the_proposer_withdraws(self, confirmed, client_user):
        propose(confirmed, client_user, at(37))
        booking = answer(confirmed, "withdraw_reschedule", client_user)
        assert booking.reschedule is None and RescheduleProposal.objects.get().state == "withdrawn"
        assert Booking.objects.get(pk=booking.pk).starts_at == at(30)

    def test_a_booking_that_stops_being_movable_closes_its_proposal(self, confirmed, client_user, provider, service):
        booking = make_booking(client=client_user, service=service, starts_at=at(45))
        propose(confirmed, provider, at(37))
        answer(confirmed, "cancel", client_user)
        propose(booking, client_user, at(33))
        booking = booking_transition(booking=booking, action="withdraw", actor=client_user).booking
        assert booking.reschedule is None
        assert list(RescheduleProposal.objects.values_list("state", flat=True)) == ["expired", "expired"]
        assert not RescheduleProposal.objects.filter(decided_at__isnull=True).exists()


class TestClocks:
    def test_the_time_to_answer_a_request_neither_restarts_nor_shortens(self, booking, client_user):
        ctx = booking_context()
        deadline = waiting_of(booking, ctx).at
        propose(booking, client_user, at(35))
        booking = Booking.objects.get(pk=booking.pk)
        assert waiting_of(booking, ctx).at == deadline
        booking = answer(booking, "accept_reschedule", booking.provider)
        assert waiting_of(Booking.objects.get(pk=booking.pk), ctx).at == deadline

    def test_the_gig_reminder_follows_the_new_time(self, client_user, service, provider):
        starts = timezone.now().replace(second=0, microsecond=0) + 40 * HOUR
        booking = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=starts)
        call_command("run_timers", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert list(Reminder.objects.values_list("at", flat=True)) == [starts]  # sent for the old time
        later = starts + 5 * HOUR
        propose(booking, client_user, later)
        answer(booking, "accept_reschedule", provider)
        tasks_run()
        mail.outbox.clear()
        call_command("run_timers", stdout=open("/dev/null", "w"))  # noqa: SIM115
        tasks_run()
        assert sorted(Reminder.objects.values_list("at", flat=True)) == [starts, later]  # armed again
        local = later.astimezone(timezone.get_current_timezone()).strftime("%H:%M")
        assert sorted(m.to[0] for m in mail.outbox) == sorted([client_user.email, provider.email])
        assert all(local in m.body for m in mail.outbox)

    def test_events_keep_the_audit_trail_immutable(self, confirmed, client_user):
        propose(confirmed, client_user, at(37))
        event = BookingEvent.objects.filter(action="reschedule").get()
        with pytest.raises(ValueError):
            event.save()
