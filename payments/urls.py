from django.urls import path, re_path

from payments import views, views_earnings, views_payouts

app_name = "payments"

urlpatterns = [
    path("bookings/<uuid:booking_id>/pay/", views.pay, name="pay"),
    path("payments/<uuid:payment_id>/success/", views.checkout_success, name="checkout_success"),
    path("payments/<uuid:payment_id>/cancelled/", views.checkout_cancel, name="checkout_cancel"),
    path("payments/<uuid:payment_id>/receipt/", views.receipt, name="receipt"),
    path("payments/refunds/<uuid:refund_id>/sent/", views.refund_sent, name="refund_sent"),
    path("payments/payouts/", views_payouts.payouts, name="payouts"),
    path("payments/payouts/connect/", views_payouts.payouts_connect, name="payouts_connect"),
    path("payments/payouts/onboarding/", views_payouts.payouts_onboarding, name="payouts_onboarding"),
    path("payments/payouts/return/", views_payouts.payouts_return, name="payouts_return"),
    path("payments/payouts/refresh/", views_payouts.payouts_refresh, name="payouts_refresh"),
    path("payments/earnings/", views_earnings.earnings, name="earnings"),
    path("payments/earnings.csv", views_earnings.earnings_csv, name="earnings_csv"),
    re_path(
        r"^payments/earnings/statements/(?P<year>[0-9]{4})-(?P<month>[0-9]{2})/$",
        views_earnings.fee_statement,
        name="fee_statement",
    ),
    re_path(
        r"^payments/earnings/statements/(?P<year>[0-9]{4})-(?P<month>[0-9]{2})\.csv$",
        views_earnings.fee_statement_csv,
        name="fee_statement_csv",
    ),
    path("payments/stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
