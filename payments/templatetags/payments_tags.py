from django import template

from bookings.terms import card_payments_on
from payments.selectors import payouts_of
from payments.services.connect import payout_account_of

register = template.Library()


@register.inclusion_tag("payments/payout-card.html")
def payout_card(provider):
    """The dashboard's payouts box: the Stripe account's status and the payouts held."""
    return {
        "cards": card_payments_on(),
        "account": payout_account_of(provider),
        "payouts": payouts_of(provider),
    }
