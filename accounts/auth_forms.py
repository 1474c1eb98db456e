"""allauth's own forms, with labels in the sentence case the rest of GigSta uses.

Kept apart from accounts.forms: allauth imports our sign-up form from there, and these
import allauth's forms, so one module would import itself in a circle.
"""

from allauth.account import forms as allauth_forms


class LoginForm(allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remember"].label = "Keep me logged in"


class ChangePasswordForm(allauth_forms.ChangePasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["oldpassword"].label = "Current password"
        self.fields["password1"].label = "New password"
        self.fields["password2"].label = "New password (again)"


class ResetPasswordKeyForm(allauth_forms.ResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = "New password"
        self.fields["password2"].label = "New password (again)"
