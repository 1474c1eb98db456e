"""A real worker (`manage.py db_worker`, another process) killed while Stripe refunds: Stripe
made the refund but the answer never arrived. The task runs again and the refund happens
once: the same idempotency key makes Stripe answer with the first refund.

Runs where DATABASE_URL points at PostgreSQL (CI's second pass): the worker process needs to
see the test's committed rows, which an in-memory SQLite database cannot share.
"""

import datetime as dt
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import make_user
from bookings.services import booking_transition
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from gigsta.tasks import tasks_requeue_stale
from gigsta.tests.helpers import tasks_run
from payments.models import PaymentEvent
from payments.services.checkout import checkout_start
from payments.services.webhooks import stripe_event_handle
from payments.tests.conftest import connect_provider
from payments.tests.fake_stripe import REFUNDS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a worker process needs a shared database"),
]


def worker_env(fake_stripe) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    keep = ("PATH", "HOME", "LANG")
    return {
        **{k: os.environ[k] for k in keep if k in os.environ},
        "DEBUG": "1",
        "DATABASE_URL": url,
        "STRIPE_SECRET_KEY": fake_stripe.secret_key,
        "STRIPE_WEBHOOK_SECRET": fake_stripe.webhook_secret,
        "STRIPE_API_BASE": fake_stripe.base,
        "LOG_LEVEL": "WARNING",
    }


def test_a_worker_killed_mid_refund_runs_it_again_and_stripe_refunds_once(fake_stripe, tmp_path):
    importlib.import_module("catalog.migrations.0002_default_categories").add_categories(apps, None)
    provider = make_user("band@example.com", "Band", role="provider")
    connect_provider(fake_stripe, provider)  # card bookings are for providers GigSta can pay out
    client = make_user("client@example.com", "Client")
    booking = make_booking(client=client, service=make_service(provider, price_minor=50000), to_state="accepted")
    payment = checkout_start(booking=booking, client=client, kind="full")
    completed, _ = fake_stripe.complete(payment.provider_reference)
    payload = json.dumps(completed)
    assert stripe_event_handle(payload.encode(), fake_stripe.sign(payload)) == "captured; confirm_payment"
    tasks_run()
    booking_transition(booking=booking, action="cancel", actor=provider)  # queues refunds_send
    reached, release = fake_stripe.hold_answer(REFUNDS)

    log = (tmp_path / "worker.log").open("w")
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.1", "--no-startup-delay"]
    worker = subprocess.Popen(command, cwd=ROOT, env=worker_env(fake_stripe), stdout=log, stderr=log)
    try:
        assert reached.wait(timeout=60), (tmp_path / "worker.log").read_text()
        worker.kill()  # Stripe has made the refund; its answer never reaches the worker
        worker.wait(timeout=10)
    finally:
        release.set()
        if worker.poll() is None:
            worker.kill()
    assert fake_stripe.creations[REFUNDS] == 1
    assert not PaymentEvent.objects.filter(kind=PaymentEvent.Kind.REFUNDED).exists()
    [stuck] = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    assert stuck.task_path == "payments.services.refunds.refunds_send"

    later = timezone.now() + dt.timedelta(minutes=16)  # the scheduler's next runs
    assert tasks_requeue_stale(later) == 1
    tasks_run(later=dt.timedelta(minutes=20))  # another worker

    [refunded] = PaymentEvent.objects.filter(kind=PaymentEvent.Kind.REFUNDED)
    assert refunded.amount_minor == 50000
    assert fake_stripe.creations[REFUNDS] == 1 and len(fake_stripe.refunds) == 1  # replayed, not made again
    assert refunded.provider_reference == next(iter(fake_stripe.refunds))
    assert tasks_run(later=dt.timedelta(days=2)) == 0
