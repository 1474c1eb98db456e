"""Reads of a client's favourites."""

from dataclasses import dataclass

from accounts.models import Role, User
from catalog.models import Service
from favourites.models import Favourite


@dataclass(frozen=True)
class Saved:
    services: list[Service]  # the saved services that may still be booked, newest saved first
    providers: list[User]  # the saved providers still on GigSta, with their active services
    gone: int  # saved things no longer listed (paused, hidden): kept, not shown


def favourites_of(*, user: User) -> Saved:
    """Everything a user saved, in two queries plus one for the providers' services."""
    rows = list(
        Favourite.objects.filter(user=user).select_related(
            "service__category", "service__provider", "provider__provider_profile"
        )
    )
    services = [f.service for f in rows if f.service_id and f.service.is_active and f.service.provider.is_active]
    providers = [
        f.provider for f in rows if f.provider_id and f.provider.is_active and f.provider.role == Role.PROVIDER
    ]
    offered: dict[int, list[Service]] = {p.pk: [] for p in providers}
    for service in Service.objects.filter(provider__in=providers, is_active=True).select_related("category"):
        offered[service.provider_id].append(service)
    for provider in providers:
        provider.active_services = offered[provider.pk]
    return Saved(services=services, providers=providers, gone=len(rows) - len(services) - len(providers))


def is_saved(*, user: User, service: Service | None = None, provider: User | None = None) -> bool:
    if not user.is_authenticated:
        return False
    return Favourite.objects.filter(user=user, service=service, provider=provider).exists()
