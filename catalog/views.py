"""Catalog pages: search, public provider and service pages, city suggestions, provider dashboard."""

import datetime as dt
import hashlib
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
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
from catalog.forms import (
    BlockDatesForm,
    PhotoAltForm,
    PhotoForm,
    SearchForm,
    ServiceForm,
    ServiceNewForm,
    ServicePhotosForm,
    date_from_link,
)
from catalog.fragments import DATE_SLOT, REVIEWS_SLOT, SAVE_SLOT, cached_fragment, date_query, result_cards
from catalog.gazetteer import city_namesakes, city_resolve, city_suggest, fold
from catalog.photos import (
    MAX_PHOTOS,
    MAX_SERVICE_PHOTOS,
    provider_photo_add,
    provider_photo_delete,
    service_create_with_photos,
    service_photo_delete,
    service_photo_from_profile,
    service_photo_move,
    service_photo_set_alt,
    service_photo_set_cover,
    service_photos_add,
)
from catalog.selectors import (
    SearchFilters,
    blocked_days_for_provider,
    busy_days_for_provider,
    gallery_of_provider,
    gallery_of_service,
    provider_get_public,
    service_get_for_owner,
    service_get_public,
    service_list_for_owner,
    service_photo_get_for_owner,
    service_search,
)
from catalog.services import busy_day_block, busy_day_unblock, service_set_active, service_update
from favourites.views import save_button
from gigsta.forms import form_submit

AVAILABILITY_DAYS = 42
REVIEWS_PER_PAGE = 10
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
        response = HttpResponse(html)
        # The address bar shows the question asked, not every empty filter of the form.
        response["HX-Push-Url"] = _search_url(request.GET)
        return response
    # form and results are None when the body came from the cache: the page needs only the HTML.
    return render(request, "catalog/search.html", {"body_html": html, "form": form, "results": results})


def _search_url(params) -> str:
    asked = [(name, value) for name, value in params.items() if value.strip()]
    return reverse("catalog:search") + (f"?{urlencode(asked)}" if asked else "")


def _place_note(form: SearchForm) -> dict | None:
    """When a bare city name was read as one city ("Atlantis" as Atlantis, South Africa), the
    page says which, and offers the other places of that name."""
    place = form.cleaned_data.get("city") if form.is_bound and form.is_valid() else None
    if place is None or place.exact or fold(form.data.get("city", "")) == fold(place.label):
        return None
    city = city_resolve(place.label)
    return {"label": place.label, "namesakes": city_namesakes(city) if city else []}


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
    context = {"form": form, "results": results, "cards": cards, "place_note": _place_note(form)}
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
        "provider",
        shown,
        lambda: render_to_string(
            "catalog/provider_detail.html#main", {**context, "reviews_slot": REVIEWS_SLOT, "save_slot": SAVE_SLOT}
        ),
    )
    main_html = main_html.replace(SAVE_SLOT, save_button(request, provider=provider), 1)
    # The date picked on the calendar travels on through the service links (outside the cached HTML).
    main_html = main_html.replace(DATE_SLOT, date_query(date_from_link(request.GET.get("date"))))
    main_html = _with_reviews(request, main_html, provider, title="Reviews")
    return render(request, "catalog/provider_detail.html", {**context, "main_html": main_html})


def _with_reviews(request: HttpRequest, main_html: str, provider, *, title: str, service=None) -> str:
    """The page's cached HTML with its reviews in their slot: clients' published reviews of the
    provider (of the service, if one is given), newest first, a page of them (`?reviews_page=`).
    Two queries (the count and the page), however many reviews."""
    from bookings.selectors import review_list_for_provider  # bookings builds on catalog

    reviews = review_list_for_provider(provider=provider, service=service)
    page = Paginator(reviews, REVIEWS_PER_PAGE).get_page(request.GET.get("reviews_page"))
    context = {"reviews_page": page, "reviews_title": title, "provider": provider}
    html = render_to_string("bookings/review-list.html", context, request=request)
    return mark_safe(main_html.replace(REVIEWS_SLOT, html, 1))  # noqa: S308 (HTML we rendered ourselves)


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
    # A service with photos always has a cover (catalog.photos): without one, no query for them.
    photos = list(service.photos.all()) if service.cover_id else []
    context = {
        "service": service,
        "provider": provider,
        "photo": photo,
        "photos": photos,
        "cover": next((p for p in photos if p.pk == service.cover_id), None),
        # Clients book (visitors are asked to log in first); a provider is told why there is no
        # button: it is their own service, or booking needs a client account.
        "may_book": not request.user.is_authenticated or request.user.is_client,
        "own": request.user.is_authenticated and request.user.pk == provider.pk,
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
        service.cover_id,
        [(p.pk, p.alt, p.large.name) for p in photos],  # in their order
        context["may_book"],
        context["own"],
    )
    main_html = cached_fragment(
        "service",
        shown,
        lambda: render_to_string(
            "catalog/service_detail.html#main",
            {**context, "date_slot": DATE_SLOT, "reviews_slot": REVIEWS_SLOT, "save_slot": SAVE_SLOT},
        ),
    )
    main_html = main_html.replace(SAVE_SLOT, save_button(request, service=service), 1)
    # The date searched for travels on to the booking form: outside the cached HTML, in its slot.
    main_html = main_html.replace(DATE_SLOT, date_query(date_from_link(request.GET.get("date"))), 1)
    main_html = _with_reviews(request, main_html, provider, title="Reviews of this service", service=service)
    return render(request, "catalog/service_detail.html", {**context, "main_html": main_html})


def _gallery(request: HttpRequest, photos: list, number: int | None, context: dict) -> HttpResponse:
    """A gallery's grid (number None) or one photo of it on a page of its own (number from 1)."""
    if number is None:
        return render(request, "catalog/gallery.html", {**context, "photos": photos})
    if not 1 <= number <= len(photos):
        raise Http404("No such photo.")
    context = {**context, "photo": photos[number - 1], "number": number, "count": len(photos)}
    return render(request, "catalog/gallery_photo.html", context)


@require_GET
def service_gallery(request: HttpRequest, service_id: UUID, number: int | None = None) -> HttpResponse:
    service = service_get_public(public_id=service_id)
    context = {
        "title": service.title,
        "byline": service.provider.display_name,
        "back_url": reverse("catalog:service", args=[service.public_id]),
        "back_label": "Back to the service",
        "photo_url": "catalog:service-photo",
        "gallery_url": reverse("catalog:service-photos", args=[service.public_id]),
        "owner_id": service.public_id,
    }
    return _gallery(request, gallery_of_service(service), number, context)


@require_GET
def provider_gallery(request: HttpRequest, provider_id: UUID, number: int | None = None) -> HttpResponse:
    provider = provider_get_public(public_id=provider_id)
    context = {
        "title": provider.display_name,
        "byline": "",
        "back_url": reverse("catalog:provider", args=[provider.public_id]),
        "back_label": f"Back to {provider.display_name}",
        "photo_url": "catalog:provider-photo",
        "gallery_url": reverse("catalog:provider-photos", args=[provider.public_id]),
        "owner_id": provider.public_id,
    }
    return _gallery(request, gallery_of_provider(provider), number, context)


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
    form = ServiceNewForm(
        data=request.POST or None,
        files=request.FILES or None,
        initial={"city": request.user.provider_profile.city, "is_active": True},
    )
    if request.method == "POST" and form.is_valid():
        service = form_submit(
            form,
            service_create_with_photos,
            provider=request.user,
            data=form.to_data(),
            uploads=form.cleaned_data["photos"],
            rename=FORM_NAMES,
        )
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
    if request.htmx:
        return render(request, "catalog/dashboard.html#service-edit", {"form": form, "service": service})
    return _service_edit_page(request, service, form=form)


def _service_edit_page(request: HttpRequest, service, **forms) -> HttpResponse:
    """The service's edit page: its details form and its photos."""
    photos = list(service.photos.all())
    alt_form = forms.get("alt_form")
    for photo in photos:  # each photo's description form, the one just sent with its errors
        if alt_form is not None and alt_form.photo_pk == photo.pk:
            photo.alt_form = alt_form
        else:
            photo.alt_form = PhotoAltForm(initial={"alt": photo.alt}, auto_id=f"photo-{photo.public_id}-%s")
    context = {
        "service": service,
        "form": forms.get("form") or ServiceForm(initial=ServiceForm.initial_for(service)),
        "photos": photos,
        "photos_form": forms.get("photos_form") or ServicePhotosForm(),
        "max_photos": MAX_SERVICE_PHOTOS,
        "profile_photos": request.user.photos.all(),
    }
    return render(request, "catalog/service_form.html", context)


def _back_to_photos(service) -> HttpResponse:
    return redirect(reverse("catalog:service-edit", args=[service.public_id]) + "#photos")


@login_required
@require_POST
def service_photos_upload(request: HttpRequest, service_id: UUID) -> HttpResponse:
    _provider_only(request)
    service = service_get_for_owner(owner=request.user, public_id=service_id)
    form = ServicePhotosForm(files=request.FILES)
    uploads = form.cleaned_data["photos"] if form.is_valid() else None
    added = uploads and form_submit(form, service_photos_add, service=service, actor=request.user, uploads=uploads)
    if added:
        messages.success(request, f"Added {len(added)} photo{'s' if len(added) > 1 else ''}.")
        return _back_to_photos(service)
    return _service_edit_page(request, service, photos_form=form)


@login_required
@require_POST
def service_photo_copy(request: HttpRequest, service_id: UUID, photo_id: UUID) -> HttpResponse:
    """Use one of the provider's profile photos on this service too."""
    _provider_only(request)
    service = service_get_for_owner(owner=request.user, public_id=service_id)
    profile_photo = request.user.photos.filter(public_id=photo_id).first()
    if profile_photo is None:
        raise Http404("No such photo.")
    try:
        service_photo_from_profile(service=service, actor=request.user, profile_photo=profile_photo)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, "Photo added from your profile.")
    return _back_to_photos(service)


@login_required
@require_POST
def service_photo_alt(request: HttpRequest, service_id: UUID, photo_id: UUID) -> HttpResponse:
    _provider_only(request)
    photo = service_photo_get_for_owner(owner=request.user, service_id=service_id, photo_id=photo_id)
    form = PhotoAltForm(data=request.POST, auto_id=f"photo-{photo.public_id}-%s")
    if form.is_valid() and form_submit(
        form, service_photo_set_alt, photo=photo, actor=request.user, **form.cleaned_data
    ):
        messages.success(request, "Description saved.")
        return _back_to_photos(photo.service)
    form.photo_pk = photo.pk
    return _service_edit_page(request, photo.service, alt_form=form)


@login_required
@require_POST
def service_photo_move_view(request: HttpRequest, service_id: UUID, photo_id: UUID, step: int) -> HttpResponse:
    _provider_only(request)
    photo = service_photo_get_for_owner(owner=request.user, service_id=service_id, photo_id=photo_id)
    if not service_photo_move(photo=photo, actor=request.user, step=step):
        messages.info(request, "That photo is already " + ("first." if step < 0 else "last."))
    return _back_to_photos(photo.service)


@login_required
@require_POST
def service_photo_cover(request: HttpRequest, service_id: UUID, photo_id: UUID) -> HttpResponse:
    _provider_only(request)
    photo = service_photo_get_for_owner(owner=request.user, service_id=service_id, photo_id=photo_id)
    service_photo_set_cover(photo=photo, actor=request.user)
    shown = "search and the service's page show it now" if photo.service.is_active else "the service is hidden"
    messages.success(request, f"Cover photo changed ({shown}).")
    return _back_to_photos(photo.service)


@login_required
@require_POST
def service_photo_remove(request: HttpRequest, service_id: UUID, photo_id: UUID) -> HttpResponse:
    _provider_only(request)
    photo = service_photo_get_for_owner(owner=request.user, service_id=service_id, photo_id=photo_id)
    service_photo_delete(photo=photo, actor=request.user)
    messages.success(request, "Photo removed.")
    return _back_to_photos(photo.service)


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
