from django import template

register = template.Library()


@register.filter
def state_label(state: str) -> str:
    """ "deposit_paid" -> "deposit paid"."""
    return (state or "").replace("_", " ")
