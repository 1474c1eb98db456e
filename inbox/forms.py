from django import forms

from inbox.models import Kind

HELP = {
    Kind.BOOKING: "Requests, answers, offers, payments and cancellations.",
    Kind.MESSAGE: "New messages in a booking's thread (at most one email per thread every 10 minutes).",
    Kind.REMINDER: "12 hours before your time to answer or pay runs out, and 2 days before each gig.",
}


class EmailPreferencesForm(forms.Form):
    """One checkbox per kind of notification: checked, it is emailed too."""

    def __init__(self, *args, wanted: dict[str, bool] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            self.fields[kind] = forms.BooleanField(
                label=label, required=False, initial=(wanted or {}).get(kind, True), help_text=HELP[kind]
            )

    def kinds(self) -> list[str]:
        return [kind for kind in Kind.values if self.cleaned_data.get(kind)]
