from django.urls import path

from payments import views, views_payouts

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
    path("payments/stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
