import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from bookings.attachments import ACCEPT, MAX_FILES
from bookings.models import MAX_MESSAGE_LENGTH, MAX_NOTE_LENGTH, MAX_REPLY_LENGTH, MAX_REVIEW_LENGTH, MAX_VENUE_LENGTH
from calendars.selectors import Slots
from catalog.models import (
    MAX_DEPOSIT_PERCENT,
    MAX_DURATION_MINUTES,
    MAX_PRICE_MINOR,
    MIN_DURATION_MINUTES,
    Pricing,
    Service,
)


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

    def __init__(self, *args, service: Service, slots: "Slots | None" = None, picker: bool = False, **kwargs):
        """`picker`: the provider has working hours, so the start is picked from the free `slots` of
        the date chosen first (calendars.selectors.service_slots); otherwise any time is typed in."""
        super().__init__(*args, **kwargs)
        self.service = service
        self.zone = ZoneInfo(service.timezone)
        self.slots = slots
        self.picker = picker
        self.fields["start_time"].help_text = f"Local time in {service.city} ({service.timezone})."
        _when_fields_setup(self, service)
        if picker:  # the date and length come from the first step (PickDateForm)
            self.fields["date"].widget = forms.HiddenInput()
            self.fields["duration_minutes"].widget = forms.HiddenInput()
            self.fields["start_time"] = forms.ChoiceField(
                label=f"Free start times, {service.city} time ({service.timezone})",
                choices=[(slot.label, slot.label) for slot in (slots.slots if slots else [])],
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": "That time is not free (any more): pick one of the times shown."},
            )

    def clean(self):
        data = super().clean()
        start = data.get("start_time")
        if isinstance(start, str):  # a picked slot: its "HH:MM" label
            start = dt.time.fromisoformat(start)
        if data.get("date") and start:
            starts_at = dt.datetime.combine(data["date"], start, tzinfo=self.zone)
            if starts_at.astimezone(dt.UTC).astimezone(self.zone).replace(tzinfo=None) != starts_at.replace(
                tzinfo=None
            ):
                self.add_error(
                    "start_time",
                    f"{start:%H:%M} does not exist on {data['date']:%-d %B} in {self.service.timezone}: the clocks "
                    "go forward then. Pick another time.",
                )
                return data
            if starts_at <= timezone.now():
                self.add_error("date", "Pick a date and time in the future.")
            data["starts_at"] = starts_at
        return data


class PickDateForm(forms.Form):
    """The booking form's first step when the provider has working hours: the date (and length,
    for hourly services) whose free start times to show. A GET form: it only reads."""

    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=MIN_DURATION_MINUTES, max_value=MAX_DURATION_MINUTES
    )

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        _when_fields_setup(self, service)


def _when_fields_setup(form: forms.Form, service: Service) -> None:
    """The date and length fields as both booking forms show them."""
    duration = form.fields["duration_minutes"]
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
    form.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()


class OfferForm(forms.Form):
    """A provider's offer on a request: price, length, deposit, until when it is open, a note.
    Times are in the service's own time zone, as on the rest of the booking page."""

    price = forms.DecimalField(label="Price", min_value=1, max_value=MAX_PRICE_MINOR // 100, decimal_places=2)
    duration_minutes = forms.IntegerField(
        label="Length (minutes)", min_value=MIN_DURATION_MINUTES, max_value=MAX_DURATION_MINUTES
    )
    deposit_percent = forms.IntegerField(
        label="Deposit (%)",
        min_value=0,
        max_value=MAX_DEPOSIT_PERCENT,
        required=False,
        help_text="Paid when the offer is accepted; 0 takes the whole price at once.",
    )
    expires_at = forms.DateTimeField(
        label="Open until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(
        label="Note to the client",
        max_length=MAX_NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What the price includes, why the length changed"}),
    )

    def __init__(self, *args, booking, now: dt.datetime, open_for: dt.timedelta, **kwargs):
        kwargs.setdefault("prefix", "offer")
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(booking.service.timezone)
        current = booking.open_offer
        expires_at = current.expires_at if current else min(now + open_for, booking.starts_at)
        self.initial = {
            "price": Decimal(current.price_minor if current else booking.price_minor) / 100,
            "duration_minutes": current.duration_minutes if current else booking.duration_minutes,
            "deposit_percent": current.deposit_percent if current else booking.deposit_percent,
            "note": current.note if current else "",
            # datetime-local shows a naive time: the venue's wall clock.
            "expires_at": expires_at.astimezone(self.zone).replace(tzinfo=None, second=0, microsecond=0),
            **self.initial,
        }
        self.fields["price"].label = f"Price ({booking.currency})"
        self.fields["expires_at"].help_text = (
            f"Local time in {booking.service.city}; at the latest when the gig starts. The client may "
            "accept until then."
        )

    def full_clean(self):
        with timezone.override(self.zone):  # the times typed are the venue's
            super().full_clean()

    def terms(self) -> dict:
        """The offer_send arguments."""
        data = self.cleaned_data
        return {
            "price_minor": int(data["price"] * 100),
            "duration_minutes": data["duration_minutes"],
            "deposit_percent": data["deposit_percent"] or 0,
            "expires_at": data["expires_at"],
            "note": data["note"],
        }


class RescheduleForm(forms.Form):
    """A new time for the gig, at the same length: date and start time in the venue's time zone,
    as the booking form and the rest of the booking page have them."""

    date = forms.DateField(label="New date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="New start time", widget=forms.TimeInput(attrs={"type": "time"}))
    note = forms.CharField(
        label="Note",
        max_length=MAX_NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Why the gig should move"}),
    )

    def __init__(self, *args, booking, **kwargs):
        kwargs.setdefault("prefix", "reschedule")
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(booking.service.timezone)
        length = booking.ends_at - booking.starts_at
        hours, minutes = divmod(int(length.total_seconds() // 60), 60)
        self.fields["start_time"].help_text = (
            f"Local time in {booking.service.city} ({booking.service.timezone}); the gig keeps its length "
            f"({hours} h{f' {minutes} min' if minutes else ''})."
        )
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("start_time"):
            data["starts_at"] = dt.datetime.combine(data["date"], data["start_time"], tzinfo=self.zone)
        return data


class ActionNoteForm(forms.Form):
    note = forms.CharField(max_length=MAX_NOTE_LENGTH, required=False)


class ReviewForm(forms.Form):
    # hx-preserve: the card's polls re-render the reviews beside it; what is being typed stays.
    rating = forms.TypedChoiceField(
        label="Your rating",
        coerce=int,
        choices=[(n, f"{n} of 5") for n in (5, 4, 3, 2, 1)],
        initial=5,
        widget=forms.Select(attrs={"hx-preserve": "true"}),
    )
    comment = forms.CharField(
        label="Your review",
        max_length=MAX_REVIEW_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "hx-preserve": "true"}),
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label="Your public reply", max_length=MAX_REPLY_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
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
