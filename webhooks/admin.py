"""Partner webhooks for staff, read-only: owners manage theirs on the site or through the API."""

from django.contrib import admin

from payments.admin import ReadOnlyAdmin
from webhooks.models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["url", "owner", "events", "created_at"]
    search_fields = ["url", "owner__email"]
    list_select_related = ["owner"]
    exclude = ["secret_salt"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event_type", "subscription", "attempts", "status_code", "delivered_at", "next_attempt_at"]
    list_filter = ["event_type", "status_code"]
    search_fields = ["public_id", "subscription__url"]
    list_select_related = ["subscription"]
