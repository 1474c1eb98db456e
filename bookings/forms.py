import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone

from bookings.attachments import ACCEPT, MAX_FILES
from bookings.models import MAX_MESSAGE_LENGTH, MAX_NOTE_LENGTH, MAX_REVIEW_LENGTH, MAX_VENUE_LENGTH
from catalog.models import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, Service


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
        self.fields["duration_minutes"].initial = service.duration_minutes
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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; their content is checked by the service (bookings.attachments)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a message"}),
        error_messages={"required": "Write a message."},
    )
    files = MultipleFileField(label="Attach files", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "files"
        ].help_text = f"PDF, JPEG, PNG or WebP: up to {MAX_FILES} files, {settings.MESSAGE_FILES_MAX_MB} MB in all."
