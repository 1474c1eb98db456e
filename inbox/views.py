"""The inbox: the list of what the user was told, marking read, and email preferences."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from inbox.forms import EmailPreferencesForm
from inbox.selectors import notification_get_for_user, notification_list_for_user
from inbox.services import email_preferences_set, notification_mark_read

PAGE_SIZE = 20


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    return _list(request, "inbox/notification_list.html", request.GET.get("page"))


def _list(request: HttpRequest, template: str, page_number) -> HttpResponse:
    page = Paginator(notification_list_for_user(user=request.user), PAGE_SIZE).get_page(page_number)
    return render(request, template, {"page": page, "now": timezone.now()})


def _back(request: HttpRequest) -> HttpResponse:
    """To the inbox page the form was on."""
    page = request.POST.get("page", "")
    return redirect(reverse("inbox:list") + (f"?page={page}" if page.isdigit() and page != "1" else ""))


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: UUID) -> HttpResponse:
    """Mark one notification read (404 if it is not the user's). htmx gets the item again and
    the nav badge out of band; a plain POST goes back to the inbox."""
    notification = notification_get_for_user(user=request.user, public_id=notification_id)
    if notification is None:
        raise Http404("No such notification.")
    request._inbox_unread = notification_mark_read(user=request.user, ids=[notification.public_id])
    if request.htmx:
        notification.refresh_from_db(fields=["read_at"])
        context = {"n": notification, "oob_badge": True}
        return render(request, "inbox/notification_list.html#item", context)
    return _back(request)


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    request._inbox_unread = notification_mark_read(user=request.user, all=True)
    if request.htmx:  # the list again, read, and the badge out of band
        return _list(request, "inbox/notification_list.html#inbox", request.POST.get("page"))
    messages.success(request, "Everything in your inbox is marked read.")
    return _back(request)


@login_required
@require_POST
def email_preferences(request: HttpRequest) -> HttpResponse:
    """The profile page's "Email me about" form."""
    form = EmailPreferencesForm(data=request.POST)
    form.is_valid()  # checkboxes: every input is valid, an absent one is unchecked
    email_preferences_set(user=request.user, kinds=form.kinds())
    messages.success(request, "Your email preferences are saved.")
    return redirect("accounts:profile")
