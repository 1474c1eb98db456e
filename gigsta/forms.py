"""Small helpers shared by the apps' HTML views."""

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: each message at its field (after `rename`,
    for services that name a field differently), the rest above the form."""
    for field, errors in exc.message_dict.items():
        field = (rename or {}).get(field, field)
        form.add_error(field if field in form.fields else None, errors)
