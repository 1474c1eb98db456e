from django import template

register = template.Library()

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


@register.filter
def money(price_minor: int | None, currency: str = "EUR") -> str:
    """1234550, "EUR" -> "€12,345.50"; whole amounts drop the cents: "€1,500"."""
    if price_minor is None:
        return ""
    major, minor = divmod(int(price_minor), 100)
    amount = f"{major:,}" if minor == 0 else f"{major:,}.{minor:02d}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


@register.filter
def duration(minutes: int | None) -> str:
    """150 -> "2 h 30 min"."""
    if not minutes:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


@register.filter
def charge(service) -> str:
    """How a service charges: "€1,500" (a fixed price) or "€90 an hour"."""
    if service.pricing == "hourly":
        return f"{money(service.hourly_rate_minor, service.currency)} an hour"
    return money(service.price_minor, service.currency)


@register.filter
def service_length(service) -> str:
    """The length that goes with the charge: the typical duration, or an hourly service's minimum."""
    if service.pricing == "hourly":
        return f"at least {duration(service.min_duration_minutes)}"
    return duration(service.duration_minutes)
