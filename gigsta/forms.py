"""Small helpers shared by the apps' HTML views: the one place a service's refusal becomes
words on a form (the API's one place is gigsta/api.py)."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError

from gigsta.errors import DomainError


def add_service_errors(form: forms.Form, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: each message at its field (after `rename`,
    for services that name a field differently), the rest above the form."""
    for field, errors in exc.message_dict.items():
        field = (rename or {}).get(field, field)
        form.add_error(field if field in form.fields else None, errors)


def form_submit(
    form: forms.Form,
    service: Callable[..., Any],
    /,
    *,
    rename: dict[str, str] | None = None,
    hint: str = "",
    **kwargs,
) -> Any:
    """Call `service(**kwargs)` for a valid form. Field errors go to their fields; a refusal
    (DomainError, PermissionDenied) goes above the form, followed by `hint`. Returns what the
    service returned, or None when it refused (and wrote nothing)."""
    try:
        return service(**kwargs)
    except ValidationError as exc:
        add_service_errors(form, exc, rename)
    except (DomainError, PermissionDenied) as exc:
        form.add_error(None, refusal_words(exc, hint))
    return None


def refusal_words(exc: DomainError | PermissionDenied, conflict_hint: str = "") -> str:
    """A refusal as a page says it. A conflict (409) means the thing changed under the user:
    `conflict_hint` says what to do about it."""
    if getattr(exc, "status", None) == 409 and conflict_hint:
        return f"{exc} {conflict_hint}"
    return str(exc)
