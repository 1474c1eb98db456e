"""Saved services and providers: the Save buttons on service and provider pages, the page that
lists them, and one request sent to several at once."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from catalog.selectors import provider_get_public, service_get_public
from favourites.forms import GroupRequestForm
from favourites.selectors import favourites_of, is_saved
from favourites.services import favourite_add, favourite_remove, favourites_request
from gigsta.forms import add_service_errors


def _client_only(request: HttpRequest) -> None:
    if not request.user.is_client:
        raise PermissionDenied("Saved services and providers are for client accounts.")


def save_button(request: HttpRequest, *, service=None, provider=None, page: str | None = None) -> str:
    """The Save / Saved button for a page's service or provider: for clients, and for visitors
    (who are asked to log in first); nothing for providers. `page`: where to come back to."""
    user = request.user
    if user.is_authenticated and not user.is_client:
        return ""
    context = {
        "service": service,
        "provider": provider,
        "saved": is_saved(user=user, service=service, provider=provider),
        "page": page or request.get_full_path(),
    }
    return render_to_string("favourites/toggle.html", context, request=request)


@login_required
@require_GET
def favourite_list(request: HttpRequest) -> HttpResponse:
    _client_only(request)
    saved = favourites_of(user=request.user)
    form = GroupRequestForm(services=saved.services)
    return render(request, "favourites/list.html", {"saved": saved, "form": form})


@login_required
@require_POST
def favourites_request_send(request: HttpRequest) -> HttpResponse:
    _client_only(request)
    saved = favourites_of(user=request.user)
    form = GroupRequestForm(data=request.POST, services=saved.services)
    sent = None
    if form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("date", "start_time", "venue", "message")}
        try:
            sent = favourites_request(client=request.user, services=form.chosen(), **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
    status = 200 if sent is not None or not form.errors else 422
    return render(request, "favourites/list.html", {"saved": saved, "form": form, "sent": sent}, status=status)


def _toggle(request: HttpRequest, *, service=None, provider=None, back: str) -> HttpResponse:
    _client_only(request)
    if request.POST.get("save") == "yes":
        favourite_add(user=request.user, service=service, provider=provider)
    else:
        favourite_remove(user=request.user, service=service, provider=provider)
    if request.htmx:
        page = request.htmx.current_url_abs_path or back
        return HttpResponse(save_button(request, service=service, provider=provider, page=page))
    wanted = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = wanted
    messages.success(request, "Saved." if request.POST.get("save") == "yes" else "Removed from your saved list.")
    return redirect(back)


@login_required
@require_POST
def service_toggle(request: HttpRequest, service_id: UUID) -> HttpResponse:
    service = service_get_public(public_id=service_id)
    return _toggle(request, service=service, back=f"/services/{service.public_id}/")


@login_required
@require_POST
def provider_toggle(request: HttpRequest, provider_id: UUID) -> HttpResponse:
    provider = provider_get_public(public_id=provider_id)
    return _toggle(request, provider=provider, back=f"/providers/{provider.public_id}/")
