from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from bookings.services import AFTER_COMMIT, IN_TRANSACTION
        from payments.services import record_manual_payment, record_refunds, send_refunds

        for action in ("mark_deposit_paid", "mark_paid"):
            IN_TRANSACTION.setdefault(action, []).append(record_manual_payment)
        for action in ("cancel", "cancel_unpaid", "resolve_refund", "expire"):
            IN_TRANSACTION.setdefault(action, []).append(record_refunds)
            AFTER_COMMIT.setdefault(action, []).append(send_refunds)
