"""Reads for calendars: whose feed a token opens, and which bookings a calendar shows."""

import datetime as dt
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from accounts.models import User
from bookings.models import Booking, BookingEvent
from bookings.selectors import booking_get_for_user
from bookings.state_machine import HOLDING_STATES, State
from calendars.models import CalendarFeed

# How far back a feed reaches: old gigs stay in the calendars that have them already.
FEED_PAST = dt.timedelta(days=180)
# A provider's calendar shows the gigs they have taken; requests and offers are not gigs yet.
TAKEN_STATES = (*HOLDING_STATES, State.COMPLETED, State.DISPUTED)
RELEASED_STATES = (State.CANCELLED, State.DECLINED, State.EXPIRED, State.REFUNDED)
TOKEN_MAX_LENGTH = 64


def _with_sequence(qs: QuerySet[Booking]) -> QuerySet[Booking]:
    """Each booking's SEQUENCE: its changes since the request (one BookingEvent each, a new time
    proposed or accepted included), and when the last of them happened (`changed_at`: a new
    time accepted moves the gig without changing its state)."""
    return qs.annotate(sequence=Count("events") - 1, changed_at=Max("events__created_at")).select_related(
        "service", "client", "provider"
    )


def calendar_feed_user(*, token: str) -> User:
    """The active user whose feed `token` opens; not found for an old (rotated) or wrong token."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise Http404("No such calendar.")
    feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if feed is None:
        raise Http404("No such calendar.")
    return feed.user


def calendar_feed_url(feed: CalendarFeed) -> str:
    return settings.SITE_URL + reverse("calendars:feed", args=[feed.token])


def calendar_bookings_for_user(*, user: User, now: dt.datetime) -> QuerySet[Booking]:
    """What the user's feed shows, soonest first: a client's bookings in every state; a provider's
    gigs once taken, and those taken then called off (as cancelled, so calendars drop them). Gigs
    that ended more than FEED_PAST ago are left out."""
    was_held = Exists(BookingEvent.objects.filter(booking=OuterRef("pk"), to_state__in=HOLDING_STATES))
    provider_side = Q(provider=user) & (Q(state__in=TAKEN_STATES) | (Q(state__in=RELEASED_STATES) & was_held))
    qs = Booking.objects.filter(Q(client=user) | provider_side, ends_at__gte=now - FEED_PAST)
    return _with_sequence(qs).order_by(F("starts_at").asc(), "pk")


def calendar_booking_for_user(*, user: User, public_id: UUID) -> Booking:
    """One booking for "Add to calendar", for its parties and staff; not found for anyone else."""
    booking = booking_get_for_user(user=user, public_id=public_id)
    return _with_sequence(Booking.objects.filter(pk=booking.pk)).get()
