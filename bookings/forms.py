import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.urls import reverse
from django.utils import timezone

from bookings.models import MAX_MESSAGE_LENGTH, MAX_NOTE_LENGTH, MAX_REVIEW_LENGTH, MAX_VENUE_LENGTH
from catalog.models import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, Pricing, Service


class BookingForm(forms.Form):
    """A request for one slot. Date and time are in the service's own time zone."""

    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="Start time", widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=MIN_DURATION_MINUTES, max_value=MAX_DURATION_MINUTES
    )
    venue = forms.CharField(
        label="Venue",
        max_length=MAX_VENUE_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "Name and address of the venue"}),
    )
    message = forms.CharField(
        label="Message to the provider",
        max_length=MAX_MESSAGE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "The occasion, number of guests, anything special"}),
    )

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.zone = ZoneInfo(service.timezone)
        self.fields["start_time"].help_text = f"Local time in {service.city} ({service.timezone})."
        duration = self.fields["duration_minutes"]
        duration.initial = service.duration_minutes
        if service.pricing == Pricing.HOURLY:
            duration.widget.attrs["min"] = service.min_duration_minutes
            duration.help_text = f"At least {service.min_duration_minutes} minutes; the price follows the length."
        # The price below the field follows the length as it is typed (htmx); without JavaScript
        # it is worked out when the request is sent.
        duration.widget.attrs.update(
            {
                "hx-get": reverse("bookings:price", args=[service.public_id]),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#booking-price",
                "hx-swap": "outerHTML",
                "hx-sync": "this:replace",
            }
        )
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("start_time"):
            starts_at = dt.datetime.combine(data["date"], data["start_time"], tzinfo=self.zone)
            if starts_at <= timezone.now():
                self.add_error("date", "Pick a date and time in the future.")
            data["starts_at"] = starts_at
        return data


class ActionNoteForm(forms.Form):
    note = forms.CharField(max_length=MAX_NOTE_LENGTH, required=False)


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Your rating", coerce=int, choices=[(n, f"{n} of 5") for n in (5, 4, 3, 2, 1)], initial=5
    )
    comment = forms.CharField(
        label="Your review", max_length=MAX_REVIEW_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
