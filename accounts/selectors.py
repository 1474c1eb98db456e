"""Reads for accounts, scoped to the user asking."""

from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import ApiToken, User


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")


def api_token_get_for_user(*, user: User, token_id: UUID) -> ApiToken:
    """A token of this user; someone else's token is simply not found."""
    token = ApiToken.objects.filter(user=user, public_id=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token
