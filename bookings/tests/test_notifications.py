import pytest
from django.core import mail
from django.db import transaction

from bookings.services import booking_request, booking_transition
from bookings.state_machine import TransitionNotAllowed
from bookings.tests.factories import at
from gigsta.tests.helpers import tasks_due, tasks_run

pytestmark = pytest.mark.django_db


def test_a_request_emails_the_provider_after_commit(client_user, service, provider):
    booking = booking_request(client=client_user, service=service, starts_at=at(30), venue="Villa Rosa")
    assert mail.outbox == []  # queued with the change; the worker sends it
    tasks_run()
    assert [m.to for m in mail.outbox] == [[provider.email]]
    message = mail.outbox[0]
    assert "Booking requested" in message.subject
    assert f"/bookings/{booking.public_id}/" in message.body
    assert message.alternatives and "Open the booking" in message.alternatives[0][0]


def test_each_transition_emails_the_other_party(booking, provider, client_user):
    tasks_run()
    mail.outbox.clear()  # the request's own email
    booking_transition(booking=booking, action="accept", actor=provider, note="See you there")
    tasks_run()
    assert [m.to for m in mail.outbox] == [[client_user.email]]
    assert "Request accepted: See you there" in mail.outbox[0].body


def test_system_changes_email_both_parties(booking, provider, client_user):
    tasks_run()
    mail.outbox.clear()  # the request's own email
    booking_transition(booking=booking, action="expire", actor=None, now=booking.starts_at)
    tasks_run()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([client_user.email, provider.email])


def test_a_refused_action_sends_nothing(booking, client_user):
    tasks_run()
    mail.outbox.clear()  # the request's own email
    queued = tasks_due().count()
    with pytest.raises(TransitionNotAllowed):
        booking_transition(booking=booking, action="accept", actor=client_user)
    assert tasks_due().count() == queued
    tasks_run()
    assert mail.outbox == []


def test_nothing_is_sent_before_commit_and_nothing_for_a_change_rolled_back(booking, provider):
    tasks_run()
    mail.outbox.clear()  # the request's own email
    queued = tasks_due().count()
    with pytest.raises(RuntimeError), transaction.atomic():
        booking_transition(booking=booking, action="accept", actor=provider)
        assert tasks_due().count() == queued + 1  # the email's task is written with the change
        raise RuntimeError("the request failed after the change")
    assert tasks_due().count() == queued  # … and rolled back with it
    tasks_run()
    assert mail.outbox == []


def test_emails_give_the_gig_s_time_where_it_happens(client_user, provider):
    from zoneinfo import ZoneInfo

    from catalog.tests.factories import make_service

    sydney = make_service(provider, title="Harbour jazz", city="Sydney, Australia")
    starts = at(30).replace(hour=9, minute=0)  # 09:00 UTC: 19:00 or 20:00 in Sydney
    booking_request(client=client_user, service=sydney, starts_at=starts, venue="Opera steps")
    tasks_run()
    local = starts.astimezone(ZoneInfo("Australia/Sydney"))
    when = next(line for line in mail.outbox[-1].body.splitlines() if line.startswith("When:"))
    assert f"{local:%A} {local.day} {local:%B %Y}, {local:%H}:00 to " in when  # not UTC nor the site's zone
    assert when.endswith("(local time in Sydney, Australia)")
