"""Payment refusals: members of the one domain error family (gigsta/errors.py)."""

from gigsta.errors import Conflict, DomainError, Unavailable


class PaymentError(Conflict):
    """A payment request that cannot be done."""

    code = "payment_not_possible"


class AmountChanged(PaymentError):
    code = "amount_changed"


class RefundTooLarge(PaymentError):
    code = "refund_too_large"


class GatewayUnavailable(Unavailable, PaymentError):
    """Stripe cannot be reached; nothing was charged."""

    code = "payment_provider_unavailable"


class WebhookRejected(DomainError):
    """The webhook cannot be applied (bad signature, no such payment, wrong amount): nothing is written."""

    status = 400
    code = "webhook_rejected"
