from django import forms

from accounts.models import MAX_PHONE_LENGTH, ProviderProfile, Role, User, validate_phone
from catalog.fields import PlaceField


class SignupForm(forms.Form):
    """Extra sign-up fields; allauth adds email and password and calls signup()."""

    field_order = ["role", "display_name", "email", "password1"]

    display_name = forms.CharField(
        label="Your name",
        max_length=80,
        help_text="Shown to the people you book or work with. A band or business name is fine.",
        widget=forms.TextInput(attrs={"autocomplete": "name", "placeholder": "e.g. Alex Rivera or The Night Owls"}),
    )
    role = forms.ChoiceField(
        label="I want to",
        choices=[
            (Role.CLIENT, "Book performers and services for my event"),
            (Role.PROVIDER, "Offer my services as a performer or provider"),
        ],
        initial=Role.CLIENT,
        widget=forms.RadioSelect,
    )

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError("Enter the name people will see.")
        return name

    def signup(self, request, user) -> None:
        """Called by allauth after the user row is saved; the adapter already set the fields."""


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Display name", max_length=80)
    phone = forms.CharField(
        label="Phone",
        max_length=MAX_PHONE_LENGTH,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "+49 30 1234567"}),
        help_text="Shown, with your email, to the other party of a booking once it is confirmed. "
        "Before that you write to each other in the booking's messages.",
    )

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError("Enter the name people will see.")
        return name


class ProviderProfileForm(ProfileForm):
    city = PlaceField(
        label="Base city",
        required=False,
        help_text="Shown on your profile. Each service has its own city for search.",
    )
    bio = forms.CharField(
        label="About you",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What you do, what makes a booking with you great. Up to 4,000 characters.",
    )
    payment_instructions = forms.CharField(
        label="How clients pay you",
        max_length=1000,
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": "e.g. Bank transfer to IBAN DE89 3704 0044 0532 0130 00, account holder Pete Provider",
            }
        ),
        help_text="Bank details or cash arrangements. Shown only to your clients, once you accept their booking.",
    )

    def clean_city(self) -> str:
        place = self.cleaned_data["city"]
        return place.label if place else ""


def profile_form_for(user: User, data=None) -> ProfileForm:
    initial = {"display_name": user.display_name, "phone": user.phone}
    if user.role == Role.PROVIDER:
        profile = getattr(user, "provider_profile", None) or ProviderProfile(user=user)
        initial.update(city=profile.city, bio=profile.bio, payment_instructions=profile.payment_instructions)
        return ProviderProfileForm(data=data, initial=initial)
    return ProfileForm(data=data, initial=initial)


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Booking sync for my website"}),
    )


class RoleSwitchForm(forms.Form):
    """Turn a client account into a provider account or back (accounts.services.user_switch_role)."""

    role = forms.ChoiceField(choices=Role.choices, widget=forms.HiddenInput)
