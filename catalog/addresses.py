"""Street-address look-up through Addressable (AU, NZ, SE), used only when ADDRESSABLE_API_KEY is set.

Without a key GigSta works offline on the gazetteer's cities alone. The key stays on the
server: browsers ask our own suggestion endpoint, which asks Addressable. A slow or failing
Addressable never breaks a page: look-ups then simply find nothing.
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)
MIN_QUERY_LENGTH = 4
TIMEOUT_SECONDS = 3


@dataclass(frozen=True)
class Address:
    formatted: str
    latitude: float
    longitude: float
    country_code: str


def addresses_enabled() -> bool:
    return bool(settings.ADDRESSABLE_API_KEY)


def address_suggest(text: str, *, limit: int = 5) -> list[Address]:
    """Addresses matching a partial address in each configured country; [] when off or failing."""
    text = text.strip()[:200]
    if not addresses_enabled() or len(text) < MIN_QUERY_LENGTH:
        return []
    found: list[Address] = []
    for country in settings.ADDRESSABLE_COUNTRIES:
        found.extend(_autocomplete(text, country, limit))
    return found[:limit]


def address_resolve(label: str) -> Address | None:
    """The address whose formatted text is exactly this label (as picked from the suggestions)."""
    wanted = label.strip().casefold()
    return next((a for a in address_suggest(label, limit=10) if a.formatted.casefold() == wanted), None)


def _autocomplete(text: str, country: str, limit: int) -> list[Address]:
    query = urllib.parse.urlencode(
        {"q": text, "country_code": country, "api_key": settings.ADDRESSABLE_API_KEY, "max_results": limit}
    )
    url = f"{settings.ADDRESSABLE_API_BASE.rstrip('/')}/v2/autocomplete?{query}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (https base from settings)
            rows = json.loads(response.read().decode())
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        # Never log the URL: it carries the API key.
        logger.warning("Address look-up failed for country %s: %s", country, type(exc).__name__)
        return []
    addresses = []
    for row in rows if isinstance(rows, list) else []:
        try:
            addresses.append(
                Address(
                    formatted=str(row["formatted"]),
                    latitude=float(row["lat"]),
                    longitude=float(row["lon"]),
                    country_code=country,
                )
            )
        except (KeyError, TypeError, ValueError):
            continue  # a row without coordinates is no use to us
    return addresses
