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
