"""Reads for partner webhooks, scoped to their owner: someone else's webhook is not found."""

from uuid import UUID

from django.http import Http404

from accounts.models import User
from webhooks.models import Delivery, Subscription


def subscription_list_for_user(*, user: User) -> list[Subscription]:
    return list(Subscription.objects.filter(owner=user))


def subscription_get_for_user(*, user: User, public_id: UUID) -> Subscription:
    subscription = Subscription.objects.filter(owner=user, public_id=public_id).first()
    if subscription is None:
        raise Http404("No such webhook.")
    return subscription


def delivery_get_for_user(*, user: User, subscription_id: UUID, public_id: UUID) -> Delivery:
    delivery = (
        Delivery.objects.select_related("subscription")
        .filter(subscription__owner=user, subscription__public_id=subscription_id, public_id=public_id)
        .first()
    )
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery
