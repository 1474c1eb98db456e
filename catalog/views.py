"""Catalog pages: search, public provider and service pages, city suggestions, provider dashboard."""

import datetime as dt
import hashlib
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from catalog.addresses import address_suggest
from catalog.cache import search_cache_get, search_cache_key, search_cache_set
from catalog.forms import BlockDatesForm, PhotoForm, SearchForm, ServiceForm, date_from_link
from catalog.fragments import DATE_SLOT, cached_fragment, date_query, result_cards
from catalog.gazetteer import city_suggest
from catalog.photos import MAX_PHOTOS, provider_photo_add, provider_photo_delete
from catalog.selectors import (
    SearchFilters,
    blocked_days_for_provider,
    busy_days_for_provider,
    provider_get_public,
    service_get_for_owner,
    service_get_public,
    service_list_for_owner,
    service_search,
)
from catalog.services import busy_day_block, busy_day_unblock, service_create, service_set_active, service_update
from gigsta.forms import form_submit

AVAILABILITY_DAYS = 42
CALENDAR_CACHE_SECONDS = 24 * 3600


@require_GET
@vary_on_headers("HX-Request")
def search(request: HttpRequest) -> HttpResponse:
    """The search page; htmx asks for the results area alone.

    Both the results area and the page body (filters + results) are cached per query string
    and catalog version (catalog.cache): a repeated search renders only the layout around them.
    """
    partial = request.htmx and not request.htmx.history_restore_request
    key = search_cache_key("results" if partial else "body", list(request.GET.items()))
    cached = search_cache_get(key)
    form = results = None
    if cached is None:
        form = SearchForm(data=request.GET or None)
        html, results = _search_render(request, form, partial)
        if results is not None:  # cache answers, never error messages
            search_cache_set(key, html)
    else:
        html = mark_safe(cached)  # noqa: S308 (HTML we rendered ourselves)
    if partial:
        return HttpResponse(html)
    # form and results are None when the body came from the cache: the page needs only the HTML.
    return render(request, "catalog/search.html", {"body_html": html, "form": form, "results": results})


def _search_render(request: HttpRequest, form: SearchForm, partial: bool):
    """Render the results area (htmx) or the page body; returns (html, SearchPage or None)."""
    results = None
    if not form.is_bound or form.is_valid():
        try:
            results = service_search(form.to_filters() if form.is_bound else SearchFilters())
        except ValidationError as exc:  # a page past the end: say so above the results
            form.add_error(None, [msg for msgs in exc.message_dict.values() for msg in msgs])
    cards = []
    if results is not None:
        located = results.filters.lat is not None
        cards = result_cards(results.items, located=located, date=results.filters.date)
    context = {"form": form, "results": results, "cards": cards}
    results_html = render_to_string("catalog/search.html#results", context, request=request)
    if partial:
        return results_html, results
    body = render_to_string("catalog/search.html#body", {**context, "results_html": results_html}, request=request)
    return body, results


@require_GET
def city_suggestions(request: HttpRequest) -> HttpResponse:
    """<option>s for the city <datalist>; htmx asks as people type. Street addresses are
    suggested too when an Addressable key is set."""
    text = request.GET.get("city", "")[:120]
    context = {"cities": city_suggest(text), "addresses": address_suggest(text)}
    return render(request, "catalog/city-options.html", context)


@require_GET
def provider_detail(request: HttpRequest, provider_id: UUID) -> HttpResponse:
    provider = provider_get_public(public_id=provider_id)
    profile = provider.provider_profile
    today = timezone.localdate()
    busy = busy_days_for_provider(provider=provider, start=today, days=AVAILABILITY_DAYS)
    days = [today + dt.timedelta(days=i) for i in range(AVAILABILITY_DAYS)]
    availability = [{"date": d, "busy": d in busy} for d in days]
    services = list(provider.services.filter(is_active=True).select_related("category"))
    photos = list(provider.photos.all())
    # A free day links to booking it: the one service's form, or with several this page's list of
    # services, whose links carry the date on.
    if len(services) == 1:
        book_url = reverse("bookings:new", args=[services[0].public_id])
    else:
        book_url = reverse("catalog:provider", args=[provider.public_id])
    context = {
        "provider": provider,
        "profile": profile,
        "services": services,
        "photos": photos,
        "availability": availability,
        "calendar_html": availability_calendar(availability, book_url=book_url if services else ""),
        "date_slot": DATE_SLOT,
    }
    shown = (
        provider.pk,
        provider.display_name,
        profile.updated_at,
        profile.rating_avg,
        profile.rating_count,
        [(s.pk, s.updated_at, s.category.name) for s in services],
        [(p.pk, p.image.name, p.thumbnail.name) for p in photos],
        context["calendar_html"],
    )
    main_html = cached_fragment(
        "provider", shown, lambda: render_to_string("catalog/provider_detail.html#main", context)
    )
    # The date picked on the calendar travels on through the service links (outside the cached HTML).
    main_html = mark_safe(main_html.replace(DATE_SLOT, date_query(date_from_link(request.GET.get("date")))))  # noqa: S308
    return render(request, "catalog/provider_detail.html", {**context, "main_html": main_html})


def availability_calendar(availability: list[dict], *, book_url: str = "") -> str:
    """The availability calendar's HTML, cached under everything it shows (the days, which are
    busy, where a free day links to, the language): a newly blocked or booked day changes the
    key, so nothing needs invalidating."""
    days = "".join(f"{d['date']:%Y%m%d}{'b' if d['busy'] else 'f'}" for d in availability) + book_url
    key = "calendar:" + get_language() + ":" + hashlib.sha256(days.encode()).hexdigest()[:32]
    html = caches["local"].get(key)
    if html is None:
        context = {"availability": availability, "book_url": book_url}
        html = render_to_string("catalog/provider_detail.html#calendar", context)
        caches["local"].set(key, html, timeout=CALENDAR_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 (HTML we rendered ourselves)


@require_GET
def service_detail(request: HttpRequest, service_id: UUID) -> HttpResponse:
    service = service_get_public(public_id=service_id)
    provider, profile = service.provider, service.provider.provider_profile
    photo = provider.photos.first()
    context = {
        "service": service,
        "provider": provider,
        "photo": photo,
        # Clients book; providers and staff see the service without the button.
        "may_book": not request.user.is_authenticated or request.user.is_client,
    }
    shown = (
        service.pk,
        service.updated_at,
        service.category.name,
        provider.display_name,
        profile.updated_at,
        profile.rating_avg,
        profile.rating_count,
        photo and (photo.pk, photo.thumbnail.name),
        context["may_book"],
    )
    main_html = cached_fragment(
        "service",
        shown,
        lambda: render_to_string("catalog/service_detail.html#main", {**context, "date_slot": DATE_SLOT}),
    )
    # The date searched for travels on to the booking form: outside the cached HTML, in its slot.
    main_html = mark_safe(main_html.replace(DATE_SLOT, date_query(date_from_link(request.GET.get("date"))), 1))  # noqa: S308
    return render(request, "catalog/service_detail.html", {**context, "main_html": main_html})


# What the service calls a field, where ServiceForm names it otherwise.
FORM_NAMES = {"price_minor": "price", "hourly_rate_minor": "hourly_rate"}


def _provider_only(request: HttpRequest) -> None:
    if not request.user.is_provider:
        raise PermissionDenied("The dashboard is for provider accounts.")


def _dashboard(request: HttpRequest, **forms) -> HttpResponse:
    from bookings.selectors import waiting_for_provider  # bookings builds on catalog

    context = {
        "waiting": waiting_for_provider(provider=request.user, now=timezone.now()),
        "services": service_list_for_owner(owner=request.user),
        "blocked_days": blocked_days_for_provider(provider=request.user),
        "photos": request.user.photos.all(),
        "block_form": forms.get("block_form") or BlockDatesForm(),
        "photo_form": forms.get("photo_form") or PhotoForm(),
        "max_photos": MAX_PHOTOS,
    }
    return render(request, "catalog/dashboard.html", context)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _provider_only(request)
    return _dashboard(request)


@login_required
@require_http_methods(["GET", "POST"])
def service_new(request: HttpRequest) -> HttpResponse:
    _provider_only(request)
    form = ServiceForm(
        data=request.POST or None, initial={"city": request.user.provider_profile.city, "is_active": True}
    )
    if request.method == "POST" and form.is_valid():
        service = form_submit(form, service_create, provider=request.user, data=form.to_data(), rename=FORM_NAMES)
        if service is not None:
            messages.success(request, f"“{service.title}” is listed.")
            return redirect("catalog:dashboard")
    return render(request, "catalog/service_form.html", {"form": form, "service": None})


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, service_id: UUID) -> HttpResponse:
    """Edit one service. An htmx request gets just the service's card (inline edit)."""
    _provider_only(request)
    service = service_get_for_owner(owner=request.user, public_id=service_id)
    # Inline edit forms get ids of their own: several may be open on the dashboard at once.
    auto_id = f"service-{service.public_id}-%s" if request.htmx else "id_%s"
    if request.method == "POST":
        form = ServiceForm(data=request.POST, auto_id=auto_id)
        saved = form.is_valid() and form_submit(
            form, service_update, service=service, actor=request.user, data=form.to_data(), rename=FORM_NAMES
        )
        if saved:
            if request.htmx:
                return render(request, "catalog/dashboard.html#service-card", {"service": saved, "saved": True})
            messages.success(request, f"“{saved.title}” is saved.")
            return redirect("catalog:dashboard")
    else:
        form = ServiceForm(initial=ServiceForm.initial_for(service), auto_id=auto_id)
    template = "catalog/dashboard.html#service-edit" if request.htmx else "catalog/service_form.html"
    return render(request, template, {"form": form, "service": service})


@login_required
@require_GET
def service_card(request: HttpRequest, service_id: UUID) -> HttpResponse:
    """The read-only card of one service (htmx: cancel an inline edit)."""
    _provider_only(request)
    service = service_get_for_owner(owner=request.user, public_id=service_id)
    return render(request, "catalog/dashboard.html#service-card", {"service": service})


@login_required
@require_POST
def service_toggle(request: HttpRequest, service_id: UUID) -> HttpResponse:
    _provider_only(request)
    service = service_get_for_owner(owner=request.user, public_id=service_id)
    service = service_set_active(service=service, actor=request.user, is_active=not service.is_active)
    if request.htmx:
        return render(request, "catalog/dashboard.html#service-card", {"service": service})
    state = "back in search" if service.is_active else "hidden from search"
    messages.success(request, f"“{service.title}” is {state}.")
    return redirect("catalog:dashboard")


@login_required
@require_POST
def block_dates(request: HttpRequest) -> HttpResponse:
    _provider_only(request)
    form = BlockDatesForm(data=request.POST)
    days = form_submit(form, busy_day_block, provider=request.user, **form.cleaned_data) if form.is_valid() else None
    if days is not None:
        messages.success(request, f"Blocked {len(days)} day(s).")
        return redirect("catalog:dashboard")
    return _dashboard(request, block_form=form)


@login_required
@require_POST
def unblock_date(request: HttpRequest, date: str) -> HttpResponse:
    _provider_only(request)
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        day = None
    if day is None or not busy_day_unblock(provider=request.user, date=day):
        messages.error(request, "That date was not blocked.")
    else:
        messages.success(request, f"{day:%-d %b %Y} is free again.")
    return redirect("catalog:dashboard")


@login_required
@require_POST
def photo_upload(request: HttpRequest) -> HttpResponse:
    _provider_only(request)
    form = PhotoForm(data=request.POST, files=request.FILES)
    upload = form.cleaned_data["photo"] if form.is_valid() else None
    if upload and form_submit(form, provider_photo_add, provider=request.user, upload=upload):
        messages.success(request, "Photo added to your public profile.")
        return redirect("catalog:dashboard")
    return _dashboard(request, photo_form=form)


@login_required
@require_POST
def photo_delete(request: HttpRequest, photo_id: UUID) -> HttpResponse:
    _provider_only(request)
    if provider_photo_delete(provider=request.user, public_id=photo_id):
        messages.success(request, "Photo removed.")
    else:
        messages.error(request, "That photo was already gone.")
    return redirect("catalog:dashboard")
