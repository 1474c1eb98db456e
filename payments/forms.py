from django import forms


class PayForm(forms.Form):
    """Which amount the client pays now, as "kind:amount" ("deposit:30000"): the amount the
    page showed travels with the choice, so the service can refuse a price that changed in
    the meantime, or a tampered form, instead of charging it."""

    choice = forms.CharField(max_length=40, error_messages={"required": "Choose what to pay."})

    def clean_choice(self) -> tuple[str, int]:
        kind, _, amount = self.cleaned_data["choice"].partition(":")
        if not kind or not amount.isdigit():
            raise forms.ValidationError("Choose what to pay.")
        return kind, int(amount)
