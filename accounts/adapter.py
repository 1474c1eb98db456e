from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url

from accounts.services import provider_profile_ensure


def user_display(user) -> str:
    return user.display_name or user.email


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """The user row and the provider profile are written together, or not at all."""
        user = super().save_user(request, user, form, commit=False)
        user.display_name = form.cleaned_data["display_name"]
        user.role = form.cleaned_data["role"]
        if commit:
            with transaction.atomic():
                user.save()
                provider_profile_ensure(user=user)
        return user

    def get_login_redirect_url(self, request) -> str:
        """Providers land on their dashboard, which opens with what waits for them; clients on the
        home page. A `?next=` address still wins (allauth checks it first)."""
        if request.user.is_provider:
            return resolve_url("catalog:dashboard")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix, email, context):
        # Emails name GigSta and its public address, not whatever host the request came in on.
        site = SimpleNamespace(name="GigSta", domain=urlsplit(settings.SITE_URL).netloc)
        super().send_mail(template_prefix, email, {**context, "current_site": site})
