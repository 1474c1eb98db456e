"""`manage.py bench_setup`: the data `make bench` measures the booking page and the Stripe webhook with.

A confirmed booking of the demo band (30 % deposit) by the demo client, the deposit and the
balance marked paid by the provider through the real services, so the ledger is real; a session
logged in as the client; a Stripe event whose id is already processed. Prints them as one line,
`BENCH_DATA {"booking": ..., "session": ..., "event": {...}}`. Idempotent: the booking is reused
while its gig is more than 30 days away, so the page stays the same from run to run. Needs the
demo accounts (`manage.py seed_demo`).
"""

import datetime as dt
import json
from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from bookings.services import booking_request, booking_transition
from bookings.state_machine import ActionName as N
from bookings.state_machine import State as S
from catalog.models import Service
from payments.models import WebhookEvent

CLIENT, BAND = "client@demo.gigsta.local", "band@demo.gigsta.local"
SERVICE = "Soul and funk band for weddings"
VENUE = "Bench Hall, Hamburg (make bench)"
# What the band does next on the way to a confirmed, fully paid booking.
NEXT_ACTION = {S.REQUESTED: N.ACCEPT, S.ACCEPTED: N.MARK_DEPOSIT_PAID, S.DEPOSIT_PAID: N.MARK_PAID}
REPLAYED_EVENT = {
    "id": "evt_bench_replayed",
    "object": "event",
    "type": "checkout.session.completed",
    "livemode": False,
    "data": {"object": {"id": "cs_test_bench", "object": "checkout.session", "payment_status": "paid"}},
}


def bench_booking(*, client: User, band: User) -> Booking:
    service = Service.objects.get(provider=band, title=SERVICE)
    later = timezone.now() + dt.timedelta(days=30)
    booking = (
        Booking.objects.filter(client=client, service=service, venue=VENUE, starts_at__gt=later)
        .filter(state__in=[*NEXT_ACTION, S.CONFIRMED])
        .order_by("-starts_at")
        .first()
    )
    if booking is None:
        starts_at = (timezone.localtime() + dt.timedelta(days=90)).replace(hour=15, minute=0, second=0, microsecond=0)
        booking = booking_request(client=client, service=service, starts_at=starts_at, venue=VENUE)
    for _ in range(len(NEXT_ACTION)):  # one step each at most: a step that changes nothing ends the loop
        if booking.state not in NEXT_ACTION:
            break
        booking_transition(booking=booking, action=NEXT_ACTION[booking.state], actor=band)
        booking.refresh_from_db()  # the state the service saved, whatever the service returns
    if booking.state != "confirmed" or booking.payments.count() != 2:
        raise CommandError(f"bench booking {booking.public_id}: {booking.state}, {booking.payments.count()} payments")
    return booking


def session_for(user: User) -> str:
    """A session logged in as `user`, in the store the site reads; its key."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()
    return session.session_key


class Command(BaseCommand):
    help = "Make (once) a paid demo booking, a logged-in session and a processed Stripe event for make bench."

    def handle(self, *args, **options):
        try:
            client, band = User.objects.get(email=CLIENT), User.objects.get(email=BAND)
        except User.DoesNotExist:
            raise CommandError(f"{CLIENT} or {BAND} is missing: run manage.py seed_demo first") from None
        booking = bench_booking(client=client, band=band)
        WebhookEvent.objects.get_or_create(
            event_id=REPLAYED_EVENT["id"],
            defaults={"type": REPLAYED_EVENT["type"], "outcome": "recorded by make bench, replayed under load"},
        )
        data = {"booking": str(booking.public_id), "session": session_for(client), "event": REPLAYED_EVENT}
        self.stdout.write("BENCH_DATA " + json.dumps(data))
