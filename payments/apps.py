from django.apps import AppConfig

# Actions after which a booking no longer waits for the payment its open checkouts were for.
PAYMENT_SETTLED_OR_ENDED = (
    "withdraw",
    "expire",
    "cancel",
    "cancel_unpaid",
    "mark_deposit_paid",
    "mark_paid",
    "confirm_deposit",
    "confirm_payment",
)


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from bookings.services import AFTER_COMMIT, IN_TRANSACTION
        from payments.services import checkouts_close, record_manual_payment, record_refunds, send_refunds

        for action in ("mark_deposit_paid", "mark_paid"):
            IN_TRANSACTION.setdefault(action, []).append(record_manual_payment)
        for action in ("cancel", "cancel_unpaid", "resolve_refund", "expire"):
            IN_TRANSACTION.setdefault(action, []).append(record_refunds)
            AFTER_COMMIT.setdefault(action, []).append(send_refunds)
        for action in PAYMENT_SETTLED_OR_ENDED:
            AFTER_COMMIT.setdefault(action, []).append(checkouts_close)
