from django import forms

from payments.policy import Due


class PayForm(forms.Form):
    """Which amount the client pays now. The amount shown is sent back so a price that changed
    in the meantime (or a tampered form) is refused instead of charged."""

    kind = forms.ChoiceField(widget=forms.RadioSelect)
    amount_minor = forms.IntegerField(min_value=1, widget=forms.HiddenInput, required=False)

    def __init__(self, *args, choices: list[Due], **kwargs):
        super().__init__(*args, **kwargs)
        self.dues = {due.kind: due for due in choices}
        self.fields["kind"].choices = [(due.kind, due.label) for due in choices]
        if choices:
            self.fields["kind"].initial = choices[0].kind
