"""HTML that many pages show the same, rendered once per process under a key made of everything it
shows: a change to any of it makes a new key, so nothing needs invalidating, and stale entries age
out of the process's own cache (CACHES["local"])."""

import datetime as dt
import hashlib
from collections.abc import Callable

from django.core.cache import caches
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from catalog.models import Service

FRAGMENT_CACHE_SECONDS = 24 * 3600
# Where a result card's distance goes: it differs from search to search, the card does not.
DISTANCE_SLOT = SafeString("<!--distance-->")
# Where the searched date goes in a card's link (`?date=`): it differs from search to search too.
DATE_SLOT = SafeString("<!--date-->")
# Where a provider's or service's reviews go in its page: rendered per request (a page of them,
# `?reviews_page=`), so a new review, a reply or a hidden one shows at once.
REVIEWS_SLOT = SafeString("<!--reviews-->")
# Where a client's Save button goes on a service or provider page: it says whether they saved it.
SAVE_SLOT = SafeString("<!--save-->")


def fragment_key(kind: str, *shown) -> str:
    """A cache key for a rendering of `kind` from the values it shows, in the current language."""
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
    return f"{kind}:{get_language()}:{digest}"


def cached_fragment(kind: str, shown: tuple, render: Callable[[], str]) -> SafeString:
    """`render()`'s HTML, from this process's cache when nothing in `shown` has changed since. Every
    value the HTML depends on must be in `shown`; render without the request, so nothing of one
    visitor reaches another."""
    key = fragment_key(kind, *shown)
    html = caches["local"].get(key)
    if html is None:
        html = render()
        caches["local"].set(key, html, timeout=FRAGMENT_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 (HTML we rendered ourselves)


def _card_key(service: Service) -> str:
    provider, profile = service.provider, service.provider.provider_profile
    return fragment_key(
        "card",
        service.pk,
        service.updated_at,  # every edit of the service's own fields moves it
        service.category.slug,
        service.category.name,
        provider.display_name,
        profile.rating_avg,
        profile.rating_count,
        _cover_shown(service),
    )


def _cover_shown(service: Service) -> tuple | None:
    """What a card shows of the service's cover (read with the service, catalog.selectors): another
    cover, or new words for it, make another card."""
    cover = service.cover
    return cover and (cover.pk, cover.medium.name, cover.alt)


def _distance(km: float) -> str:
    words = "Under 1 km away" if km < 1 else f"{floatformat(km, '1g')} km away"
    return format_html('\n                    <li class="meta-list__distance">{}</li>', words)


def date_query(date: dt.date | None) -> str:
    """What a link to a service page carries of the searched date: "?date=2027-03-14", or nothing."""
    return f"?date={date.isoformat()}" if date else ""


def result_cards(services: list[Service], *, located: bool, date: dt.date | None = None) -> list[SafeString]:
    """The search result card of each service (with `distance_km` when the search had a place),
    its link carrying the searched `date`."""
    local = caches["local"]
    keys = [_card_key(service) for service in services]
    found = local.get_many(keys)
    cards = []
    for service, key in zip(services, keys, strict=True):
        html = found.get(key)
        if html is None:
            slots = {"distance_slot": DISTANCE_SLOT, "date_slot": DATE_SLOT}
            html = render_to_string("catalog/search.html#card", {"s": service, **slots})
            local.set(key, html, timeout=FRAGMENT_CACHE_SECONDS)
        html = html.replace(DISTANCE_SLOT, _distance(service.distance_km) if located else "", 1)
        html = html.replace(DATE_SLOT, date_query(date), 1)
        cards.append(mark_safe(html))  # noqa: S308 (HTML we rendered ourselves)
    return cards
