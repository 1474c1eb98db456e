"""Staff hear of a new dispute by email: a task queued with the dispute, to every active staff
account, with the client's words and the way to the evidence."""

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import make_user
from bookings.services import booking_transition
from bookings.state_machine import TransitionNotAllowed
from bookings.tests.factories import make_booking
from gigsta.tests.helpers import tasks_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(client_user, service):
    return make_booking(client=client_user, service=service, to_state="completed")


def _dispute(booking, client_user, note="The DJ left at 22:00 instead of midnight."):
    return booking_transition(
        booking=booking, action="dispute", actor=client_user, note=note, now=booking.ends_at
    ).event


def test_every_active_staff_member_is_emailed_once(completed, client_user, staff_user, settings, mailoutbox):
    settings.SITE_URL = "https://gigsta.test"
    other = make_user("sven@example.com", "Sven Staff", is_staff=True)
    make_user("gone@example.com", "Gone Staff", is_staff=True, is_active=False)
    mailoutbox.clear()

    _dispute(completed, client_user)
    assert DBTaskResult.objects.filter(task_path="bookings.notifications.dispute_staff_email").count() == 1
    assert not [m for m in mailoutbox if m.subject.startswith("[GigSta staff]")]  # a task, not in the request
    tasks_run()

    staff_mail = [m for m in mailoutbox if m.subject.startswith("[GigSta staff]")]
    assert sorted(m.to[0] for m in staff_mail) == sorted([staff_user.email, other.email])
    mail = staff_mail[0]
    assert mail.subject.startswith(f"[GigSta staff] Dispute opened: {completed.service.title}, ")
    assert completed.reference in mail.subject
    assert "Dispute opened: The DJ left at 22:00 instead of midnight." in mail.body
    assert "Carla Client <carla@example.com>" in mail.body
    assert "by bank transfer or cash, straight to the provider: GigSta holds none of it" in mail.body
    assert "https://gigsta.test" + reverse("admin:bookings_booking_change", args=[completed.pk]) in mail.body
    assert "https://gigsta.test" + reverse("admin:bookings_booking_changelist") + "?dispute=open" in mail.body
    # The parties are not sent the staff email.
    assert not [m for m in staff_mail if m.to[0] in (client_user.email, completed.provider.email)]


def test_a_refused_dispute_emails_no_one(completed, client_user, staff_user, mailoutbox):
    _dispute(completed, client_user)
    tasks_run()
    mailoutbox.clear()
    with pytest.raises(TransitionNotAllowed):
        _dispute(completed, client_user)  # disputed already
    tasks_run()
    assert mailoutbox == []
