"""Webhook pages: add one (the secret is shown once), read a webhook's delivery log,
redeliver, delete."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gigsta.forms import form_submit
from webhooks.forms import WebhookForm
from webhooks.selectors import delivery_get_for_user, subscription_get_for_user, subscription_list_for_user
from webhooks.services import EVENT_TYPES, delivery_redeliver, subscription_create, subscription_delete


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(data=request.POST if request.method == "POST" else None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = form_submit(form, subscription_create, owner=request.user, **form.cleaned_data)
        form = WebhookForm() if created else form
    context = {"form": form, "webhooks": subscription_list_for_user(user=request.user), "event_types": EVENT_TYPES}
    new_webhook, new_secret = created or (None, None)
    response = render(
        request, "webhooks/webhook_list.html", {**context, "new_webhook": new_webhook, "new_secret": new_secret}
    )
    if created:
        response["Cache-Control"] = "no-store"  # the secret is in this response only
    return response


@login_required
@require_GET
def webhook_detail(request: HttpRequest, webhook_id: UUID) -> HttpResponse:
    webhook = subscription_get_for_user(user=request.user, public_id=webhook_id)
    page = Paginator(webhook.deliveries.all(), 50).get_page(request.GET.get("page"))
    return render(request, "webhooks/webhook_detail.html", {"webhook": webhook, "page": page})


@login_required
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: UUID) -> HttpResponse:
    webhook = subscription_get_for_user(user=request.user, public_id=webhook_id)
    subscription_delete(subscription=webhook, actor=request.user)
    messages.success(request, f"The webhook to {webhook.url} is deleted; nothing more is sent to it.")
    return redirect("webhooks:list")


@login_required
@require_POST
def delivery_redeliver_view(request: HttpRequest, webhook_id: UUID, delivery_id: UUID) -> HttpResponse:
    delivery = delivery_get_for_user(user=request.user, subscription_id=webhook_id, public_id=delivery_id)
    delivery_redeliver(delivery=delivery, actor=request.user)
    messages.success(request, f"{delivery.event_type} is being sent again.")
    return redirect("webhooks:detail", webhook_id=webhook_id)
