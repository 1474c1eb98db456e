"""What a booking of a service costs, for how long: pure functions of the listing, no database.

The service's own price (`Service.price_minor`, what search sorts by), the booking form's live
price, a new booking's price snapshot (bookings.terms.booking_terms) and the API all come from
`price_for`, so no two places can disagree about a price.
"""

from dataclasses import dataclass
from typing import Protocol

from catalog.models import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, Pricing


class Priced(Protocol):
    pricing: str
    price_minor: int
    hourly_rate_minor: int | None
    min_duration_minutes: int | None


def hourly_price(rate_minor: int, duration_minutes: int) -> int:
    """`duration_minutes` at an hourly rate, rounded half up to a whole minor unit."""
    return (rate_minor * duration_minutes + 30) // 60


def price_for(service: Priced, duration_minutes: int) -> int:
    """What one booking of `duration_minutes` costs: the fixed price whatever the length, or the
    hourly rate for the length asked."""
    if service.pricing == Pricing.HOURLY:
        return hourly_price(service.hourly_rate_minor, duration_minutes)
    return service.price_minor


def length_refusal(service: Priced, duration_minutes: int) -> str | None:
    """Why a booking this long is refused by the listing's own terms (None: it is not)."""
    shortest = service.min_duration_minutes
    if service.pricing == Pricing.HOURLY and duration_minutes < shortest:
        return f"This service is booked for at least {minutes_words(shortest)} ({shortest} minutes)."
    return None


def minutes_words(minutes: int) -> str:
    """150 -> "2 hours 30 minutes"; 60 -> "1 hour"; 45 -> "45 minutes"."""
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


@dataclass(frozen=True)
class Quote:
    """What a booking of one length would cost, or why that length cannot be booked."""

    duration_minutes: int
    price_minor: int | None  # None: not bookable for this long (see `problem`)
    problem: str = ""


def quote(service: Priced, duration_minutes: int) -> Quote:
    """The price of a booking of `duration_minutes`, after the limits every booking has and the
    listing's own minimum length."""
    if not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES:
        return Quote(duration_minutes, None, f"Between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES} minutes.")
    if reason := length_refusal(service, duration_minutes):
        return Quote(duration_minutes, None, reason)
    return Quote(duration_minutes, price_for(service, duration_minutes))
