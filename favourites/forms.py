from django import forms
from django.utils import timezone

from bookings.forms import BookingForm
from favourites.services import MAX_GROUP_REQUEST


class GroupRequestForm(forms.Form):
    """One request to several saved services: which ones, and the when and where they share."""

    services = forms.MultipleChoiceField(label="Send to", widget=forms.CheckboxSelectMultiple)
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="Start time", widget=forms.TimeInput(attrs={"type": "time"}))
    # The same where and what as a single booking request.
    venue = BookingForm.base_fields["venue"]
    message = BookingForm.base_fields["message"]

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_id = {str(s.public_id): s for s in services}
        self.fields["services"].choices = [(str(s.public_id), s.title) for s in services]
        self.fields["services"].help_text = f"Up to {MAX_GROUP_REQUEST}. Each gets a request of its own."
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.fields["message"].label = "Message to each provider"

    def chosen(self) -> list:
        return [self.by_id[key] for key in self.cleaned_data["services"]]
