import pytest
from django.core import mail

from bookings.services import booking_request, booking_transition
from bookings.state_machine import TransitionNotAllowed
from bookings.tests.factories import at

pytestmark = pytest.mark.django_db


def test_a_request_emails_the_provider_after_commit(client_user, service, provider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_request(client=client_user, service=service, starts_at=at(30), venue="Villa Rosa")
    assert [m.to for m in mail.outbox] == [[provider.email]]
    message = mail.outbox[0]
    assert "Booking requested" in message.subject
    assert f"/bookings/{booking.public_id}/" in message.body
    assert message.alternatives and "Open the booking" in message.alternatives[0][0]


def test_each_transition_emails_the_other_party(booking, provider, client_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking_transition(booking=booking, action="accept", actor=provider, note="See you there")
    assert [m.to for m in mail.outbox] == [[client_user.email]]
    assert "Request accepted: See you there" in mail.outbox[0].body


def test_system_changes_email_both_parties(booking, provider, client_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking_transition(booking=booking, action="expire", actor=None, now=booking.starts_at)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([client_user.email, provider.email])


def test_a_refused_action_sends_nothing(booking, client_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionNotAllowed):
        booking_transition(booking=booking, action="accept", actor=client_user)
    assert mail.outbox == []


def test_nothing_is_sent_before_commit(booking, provider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        booking_transition(booking=booking, action="accept", actor=provider)
    assert mail.outbox == [] and callbacks
