from uuid import UUID

from allauth.account import views as allauth_views
from allauth.core.internal.ratelimit import parse_rates
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms.forms import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ApiTokenCreateForm, RoleSwitchForm, profile_form_for
from accounts.models import Role
from accounts.selectors import api_token_get_for_user, api_token_list_for_user
from accounts.services import (
    api_token_create,
    api_token_revoke,
    user_has_bookings,
    user_switch_role,
    user_update_profile,
)
from calendars.selectors import calendar_feed_url
from calendars.services import calendar_feed_ensure
from inbox.forms import EmailPreferencesForm
from inbox.selectors import email_preferences_of


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = profile_form_for(request.user, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user_update_profile(user=request.user, **form.cleaned_data)
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    email_form = EmailPreferencesForm(wanted=email_preferences_of(user=request.user))
    feed_url = calendar_feed_url(calendar_feed_ensure(user=request.user))
    context = {
        "form": form,
        "email_form": email_form,
        "calendar_feed_url": feed_url,
        "may_switch_role": not user_has_bookings(user=request.user),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def role_switch(request: HttpRequest) -> HttpResponse:
    form = RoleSwitchForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, "Choose client or provider.")
        return redirect("accounts:profile")
    was_provider = request.user.is_provider
    try:
        user_switch_role(user=request.user, role=form.cleaned_data["role"])
    except ValidationError as error:
        messages.error(request, " ".join(error.message_dict.get("role", error.messages)))
        return redirect("accounts:profile")
    if request.user.is_provider:
        messages.success(request, "Your account is now a provider account. Add your first service to be found.")
        return redirect("catalog:dashboard")
    paused = " Your services are paused and no longer in search." if was_provider else ""
    messages.success(request, f"Your account is now a client account: you can book performers.{paused}")
    return redirect("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    new_secret = None
    form = ApiTokenCreateForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        _, new_secret = api_token_create(user=request.user, name=form.cleaned_data["name"])
        form = ApiTokenCreateForm()
    context = {
        "form": form,
        "tokens": api_token_list_for_user(user=request.user),
        "new_secret": new_secret,
    }
    # The secret is rendered in this response only: never stored, never redirected with.
    response = render(request, "accounts/tokens.html", context)
    if new_secret:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: UUID) -> HttpResponse:
    token = api_token_revoke(token=api_token_get_for_user(user=request.user, token_id=token_id))
    if request.htmx:
        context = {"tokens": api_token_list_for_user(user=request.user), "revoked_token": token}
        return render(request, "accounts/tokens.html#token-list", context)
    messages.success(request, f"Token “{token.name}” is revoked. Apps using it can no longer sign in.")
    return redirect("accounts:tokens")


class SignupView(allauth_views.SignupView):
    """allauth's sign-up page, with the account type preselected by the link that led here
    (`?as=provider` from "Join as a performer", `?as=client` from "Sign up to book")."""

    def get_initial(self) -> dict:
        initial = super().get_initial()
        if (wanted := self.request.GET.get("as")) in Role.values:
            initial["role"] = wanted
        return initial

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["signup_as"] = context["form"]["role"].value()
        return context


class LoginView(allauth_views.LoginView):
    """allauth's sign-in page. While failed sign-ins are rate limited (ACCOUNT_RATE_LIMITS
    login_failed, counted in the shared cache) the refusal is a 429 with Retry-After, so
    scripts and proxies see the lock-out, not a page that looks like a typo."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "too_many_login_attempts"):
            response.status_code = 429
            response["Retry-After"] = str(login_lockout_seconds())
        return response


def login_lockout_seconds() -> int:
    """The longest window of the failed sign-in limits: after it, every count has expired."""
    rates = parse_rates(settings.ACCOUNT_RATE_LIMITS.get("login_failed"))
    return int(max((rate.duration for rate in rates), default=60))
