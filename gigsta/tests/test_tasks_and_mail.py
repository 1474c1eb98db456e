"""Work that leaves the process is a task: queued with the change, retried with backoff, run
once. The mail server is a real SMTP server on loopback (aiosmtpd), down and then up."""

import datetime as dt
import io
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import auth
from bookings.models import Booking
from bookings.tests.factories import at
from catalog.tests.factories import make_service
from gigsta.mail import email_send
from gigsta.tasks import ATTEMPTS, retry_delay, tasks_requeue_stale
from gigsta.tests.helpers import tasks_due, tasks_failed, tasks_run

pytestmark = pytest.mark.django_db


class Inbox(Message):
    """An SMTP server's mailbox: every message it accepted."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """Mail goes through the task queue to an SMTP server on loopback that is down until
    `smtp.start()`; `smtp.inbox.messages` is what it received."""
    port = free_port()
    settings.EMAIL_BACKEND = "gigsta.mail.TaskEmailBackend"  # pytest-django's default is locmem
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.EMAIL_TIMEOUT = 5

    class Server:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)

        def start(self):
            self.controller.start()

    server = Server()
    yield server
    if server.controller._thread is not None:
        server.controller.stop()


def api_post(client, url, body, user):
    return client.post(url, body, content_type="application/json", headers=auth(user))


def test_retries_wait_longer_each_time_and_stop_before_stripe_forgets_a_key():
    assert [retry_delay(n).total_seconds() / 60 for n in range(1, 5)] == [1, 2, 4, 8]
    assert sum((retry_delay(n) for n in range(1, ATTEMPTS)), dt.timedelta()) < dt.timedelta(hours=20)


def test_a_mail_outage_never_fails_a_request_and_every_email_goes_out_once_it_is_back(
    client, client_user, provider, smtp
):
    """Requested, accepted, paid and cancelled while the mail server is down: every answer is
    2xx; the emails wait in the queue and go out once it is back, each exactly once."""
    service = make_service(provider)
    created = api_post(
        client,
        reverse("api:booking_create_api"),
        {"service_id": str(service.public_id), "starts_at": at(30).isoformat(), "venue": "Villa Rosa"},
        client_user,
    )
    assert created.status_code == 201, created.content
    booking_id = created.json()["id"]
    for action, who in (("accept", provider), ("mark_paid", provider), ("cancel", client_user)):
        url = reverse("api:booking_action_api", args=[booking_id, action])
        answer = api_post(client, url, {"note": "Sorry\nBcc: someone@example.com"}, who)
        assert answer.status_code == 200, (action, answer.content)
    assert Booking.objects.get(public_id=booking_id).state == "cancelled"

    tasks_run()  # the worker: notifications render, their emails fail to send
    failed = tasks_failed()
    assert failed and {t.task_name for t in failed} == {"email_send"}
    assert smtp.inbox.messages == []

    smtp.start()
    tasks_run(later=retry_delay(1))
    tasks_run(later=dt.timedelta(days=2))  # anything left would run now: nothing is sent twice

    received = sorted((m["To"], " ".join(m["Subject"].split())) for m in smtp.inbox.messages)
    assert len(received) == len(set(received)) == 4
    for (to, subject), (who, what) in zip(
        received,
        [
            (client_user, "Payment received"),
            (client_user, "Request accepted"),
            (provider, "Booking cancelled: Sorry Bcc: someone@example.com"),  # the note, on one line
            (provider, "Booking requested"),
        ],
        strict=True,
    ):
        assert to == who.email and what in subject
    assert all(m["Bcc"] is None for m in smtp.inbox.messages)
    assert tasks_due(later=dt.timedelta(days=30)).count() == 0


def test_an_email_task_keeps_header_values_on_one_line(smtp):
    smtp.start()
    mail.send_mail("Your gig:\r\nBcc: x@example.com", "Hello", "GigSta <hello@gigsta.local>", ["a@example.com"])
    assert tasks_run() == 1
    [message] = smtp.inbox.messages
    assert message["Subject"] == "Your gig: Bcc: x@example.com" and message["Bcc"] is None


def test_sign_up_inside_a_request_queues_its_email(client, smtp):
    smtp.start()
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "display_name": "New Person",
            "role": "client",
            "password1": "a-long-enough-pass-2026",
            "password2": "a-long-enough-pass-2026",
        },
    )
    assert response.status_code == 302
    assert smtp.inbox.messages == [] and [t.task_name for t in tasks_due()] == ["email_send"]
    tasks_run()
    assert [m["To"] for m in smtp.inbox.messages] == ["new@example.com"]


def test_a_task_whose_worker_died_runs_again_once(smtp):
    """A worker killed mid-task leaves it marked running; run_timers queues it again after
    TASK_STALE_AFTER_MINUTES, and the next worker runs it once."""
    smtp.start()
    result = email_send.enqueue(
        {
            "subject": "Hi",
            "body": "Body",
            "from_email": "hello@gigsta.local",
            "to": ["a@example.com"],
            "cc": [],
            "bcc": [],
            "reply_to": [],
            "headers": {},
            "alternatives": [],
        }
    )
    started = timezone.now() - dt.timedelta(minutes=16)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=started, worker_ids=["killed"]
    )
    assert tasks_run() == 0  # running (as far as anyone knows): no second worker takes it
    assert tasks_requeue_stale(timezone.now() - dt.timedelta(minutes=2)) == 0  # not stale yet then

    call_command("run_timers", stdout=io.StringIO())
    assert tasks_run() == 1
    assert tasks_run(later=dt.timedelta(days=1)) == 0
    assert len(smtp.inbox.messages) == 1
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL


def test_staff_run_failed_and_waiting_tasks_again_from_the_admin_once(client, staff_user, smtp, settings):
    mail.send_mail("Hi", "Body", "hello@gigsta.local", ["a@example.com"])
    tasks_run()  # the server is down: the attempt fails, the next one waits a minute
    [failed] = tasks_failed()
    [waiting] = tasks_due(later=retry_delay(1))
    assert waiting.args_kwargs["kwargs"] == {"attempt": 2}
    client.force_login(staff_user)
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    assert "email_send" in client.get(changelist).content.decode()

    smtp.start()
    selected = {"action": "run_again_now", "_selected_action": [failed.pk, waiting.pk]}
    response = client.post(changelist, selected, follow=True)
    # The failed attempt's email is already being retried: only the waiting retry runs, now.
    assert "1 waiting task(s) brought forward, 0 failed task(s) queued again." in response.content.decode()
    assert tasks_run() == 1
    assert [m["To"] for m in smtp.inbox.messages] == ["a@example.com"]


def test_a_task_that_failed_for_good_gets_one_more_attempt_from_the_admin(client, staff_user, smtp):
    mail.send_mail("Hi", "Body", "hello@gigsta.local", ["b@example.com"])
    for _ in range(ATTEMPTS + 1):
        tasks_run(later=dt.timedelta(days=1))  # every attempt fails while the server is down
    assert len(tasks_failed()) == ATTEMPTS
    assert tasks_due(later=dt.timedelta(days=30)).count() == 0
    last = tasks_failed()[-1]
    client.force_login(staff_user)
    smtp.start()
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    response = client.post(changelist, {"action": "run_again_now", "_selected_action": [last.pk]}, follow=True)
    assert "1 failed task(s) queued again." in response.content.decode()
    assert tasks_run() == 1 and [m["To"] for m in smtp.inbox.messages] == ["b@example.com"]
