"""Writes of favourites: save, forget, and one request sent to several saved services at once."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Role, User
from bookings.models import Booking
from bookings.services import booking_request
from catalog.models import Service
from favourites.models import Favourite
from gigsta.errors import DomainError

# How many saved services one request may go to.
MAX_GROUP_REQUEST = 10


def _require_client(user: User) -> None:
    if not user.is_client:
        raise PermissionDenied("Favourites are for client accounts: they save what they may book.")


def favourite_add(*, user: User, service: Service | None = None, provider: User | None = None) -> Favourite:
    """Save a service or a provider; saving again changes nothing."""
    _require_client(user)
    if (service is None) == (provider is None):
        raise ValueError("Save either a service or a provider.")
    if provider is not None and provider.role != Role.PROVIDER:
        raise PermissionDenied("Only providers can be saved.")
    try:
        with transaction.atomic():
            return Favourite.objects.create(user=user, service=service, provider=provider)
    except IntegrityError:
        return Favourite.objects.get(user=user, service=service, provider=provider)


def favourite_remove(*, user: User, service: Service | None = None, provider: User | None = None) -> bool:
    """Forget a saved service or provider; True when there was one."""
    deleted, _ = Favourite.objects.filter(user=user, service=service, provider=provider).delete()
    return bool(deleted)


@dataclass(frozen=True)
class Sent:
    service: Service
    booking: Booking | None  # None: not sent, see `problem`
    problem: str = ""


def favourites_request(
    *, client: User, services: list[Service], date: dt.date, start_time: dt.time, venue: str, message: str = ""
) -> list[Sent]:
    """The same request (date, local start time, venue, message) to each service, each a booking of
    its own for the service's usual length, sent through booking_request as one would be. One
    refused (taken that day, paused) does not stop the others; the answer says which went.
    The services must share a time zone: "19:00" has to mean one moment."""
    _require_client(client)
    if not services:
        raise ValidationError({"services": ["Tick at least one saved service."]})
    if len(services) > MAX_GROUP_REQUEST:
        raise ValidationError({"services": [f"Send one request to at most {MAX_GROUP_REQUEST} services at a time."]})
    zones = {s.timezone for s in services}
    if len(zones) > 1:
        raise ValidationError(
            {
                "services": [
                    f"These services keep different local times ({', '.join(sorted(zones))}): send them separately."
                ]
            }
        )
    starts_at = dt.datetime.combine(date, start_time, tzinfo=ZoneInfo(zones.pop()))
    sent = []
    for service in services:
        try:
            booking = booking_request(client=client, service=service, starts_at=starts_at, venue=venue, message=message)
        except ValidationError as exc:
            sent.append(Sent(service, None, " ".join(exc.messages)))
        except (DomainError, PermissionDenied) as exc:
            sent.append(Sent(service, None, str(exc)))
        else:
            sent.append(Sent(service, booking))
    return sent
