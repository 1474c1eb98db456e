"""Reads for bookings, scoped to the user asking: a booking that is not yours is not found."""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from bookings.models import Booking


def party_of(booking: Booking, user: User) -> str:
    """How a page addresses the user on a booking they may see: "client", "provider" or "staff"."""
    if booking.client_id == user.pk:
        return "client"
    return "provider" if booking.provider_id == user.pk else "staff"


def booking_list_for_user(*, user: User, state: str | None = None) -> QuerySet[Booking]:
    """Bookings the user made or received, newest first."""
    qs = Booking.objects.filter(Q(client=user) | Q(provider=user)).select_related("service", "client", "provider")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at")


def booking_get_for_user(*, user: User, public_id) -> Booking:
    """A booking of which the user is a party, or any booking for staff."""
    qs = Booking.objects.select_related("service", "client", "provider", "provider__provider_profile")
    if not user.is_staff:
        qs = qs.filter(Q(client=user) | Q(provider=user))
    booking = qs.filter(public_id=public_id).first()
    if booking is None:
        raise Http404("No such booking.")
    return booking
