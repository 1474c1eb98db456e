from django import forms


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Address",
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/gigsta"}),
        help_text="GigSta POSTs each event here as JSON, signed with the secret shown once you save.",
    )
    events = forms.CharField(
        label="Events",
        max_length=1000,
        initial="booking.*",
        help_text='"booking.*" for every change of your bookings, "message.*" for new messages, or names such as '
        "booking.accept, booking.cancel, message.created.",
    )

    def clean_events(self) -> list[str]:
        return [e for e in self.cleaned_data["events"].replace(",", " ").split() if e]
