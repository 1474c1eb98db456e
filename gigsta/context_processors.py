from django.conf import settings

from bookings.state_machine import DISPUTE_WINDOW
from bookings.terms import card_payments_on


def site(request):
    """Besides the name: what the site's pages may promise about money, as configured. Cards
    (Stripe keys set) are paid to GigSta, held until the dispute window after the gig has closed
    and paid out to the provider; without them every booking is paid to the provider directly."""
    return {
        "SITE_NAME": "GigSta",
        "DEBUG": settings.DEBUG,
        "CARD_PAYMENTS": card_payments_on(),
        "HOLD_DAYS": DISPUTE_WINDOW.days,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
    }
