"""allauth's own forms, with labels in the sentence case the rest of GigSta uses.

Kept apart from accounts.forms: allauth imports our sign-up form from there, and these
import allauth's forms, so one module would import itself in a circle.
"""

from allauth.account import forms as allauth_forms


def _relabel(form, labels: dict[str, str]) -> None:
    for name, label in labels.items():
        field = form.fields[name]
        field.label = label
        if "placeholder" in field.widget.attrs:
            field.widget.attrs["placeholder"] = label


class LoginForm(allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, {"remember": "Keep me logged in"})


class ChangePasswordForm(allauth_forms.ChangePasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(
            self,
            {"oldpassword": "Current password", "password1": "New password", "password2": "New password (again)"},
        )


class ResetPasswordKeyForm(allauth_forms.ResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, {"password1": "New password", "password2": "New password (again)"})
