from django import forms

from payments.policy import Due


class PayForm(forms.Form):
    """Which amount the client pays now. Each choice carries the amount the page showed
    ("deposit:30000"), so a price that changed in the meantime, or a tampered form, is
    refused instead of charged."""

    choice = forms.ChoiceField(widget=forms.RadioSelect)

    def __init__(self, *args, choices: list[Due], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = [(self.value_of(due), due.label) for due in choices]
        self.fields["choice"].error_messages["invalid_choice"] = "That amount is no longer due: check it and try again."

    @staticmethod
    def value_of(due: Due) -> str:
        return f"{due.kind}:{due.amount_minor}"

    def full_clean(self):
        # Any well-formed "kind:amount" is accepted here; whether it is due is the service's call,
        # so a stale amount gets the service's clear answer rather than a generic form error.
        if self.data and "choice" in self.data:
            self.fields["choice"].choices = [(self.data["choice"], "")]
        super().full_clean()

    def clean_choice(self) -> tuple[str, int]:
        kind, _, amount = self.cleaned_data["choice"].partition(":")
        if not amount.isdigit():
            raise forms.ValidationError("Choose what to pay.")
        return kind, int(amount)
