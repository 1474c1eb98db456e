from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("bookings/<uuid:booking_id>/pay/", views.pay, name="pay"),
    path("payments/<uuid:payment_id>/success/", views.checkout_success, name="checkout_success"),
    path("payments/<uuid:payment_id>/cancelled/", views.checkout_cancel, name="checkout_cancel"),
    path("payments/<uuid:payment_id>/receipt/", views.receipt, name="receipt"),
    path("payments/refunds/<uuid:refund_id>/sent/", views.refund_sent, name="refund_sent"),
    path("payments/stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
