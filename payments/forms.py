import datetime as dt

from django import forms

from payments.earnings import month_bounds


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


class EarningsExportForm(forms.Form):
    """The CSV export's period: a whole year, or a range of months (both included), in UTC."""

    year = forms.IntegerField(required=False, min_value=2000, max_value=9999)
    start = forms.CharField(
        label="Or from month", required=False, max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )
    end = forms.CharField(
        label="To month", required=False, max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )

    def _month(self, name: str) -> dt.date | None:
        value = self.cleaned_data.get(name) or ""
        if not value:
            return None
        try:
            month = dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError({name: "Give a month as YYYY-MM, e.g. 2026-03."}) from None
        if month.year < 2000:
            raise forms.ValidationError({name: "Give a month from 2000 on."})
        return month

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start, end = self._month("start"), self._month("end")
        year = data.get("year")
        if year is None and start is None:
            raise forms.ValidationError("Choose a year, or a first month.")
        if year is not None and (start or end):
            raise forms.ValidationError("Choose a year or a range of months, not both.")
        if start is not None:
            end = end or start
            if end < start:
                raise forms.ValidationError({"end": "The last month comes before the first."})
        data["start_month"], data["end_month"] = start, end
        return data

    def period(self) -> tuple[dt.datetime, dt.datetime, str]:
        """[start, end) in UTC and a name for the file."""
        year = self.cleaned_data.get("year")
        if year is not None:
            return month_bounds(year, 1)[0], month_bounds(year, 12)[1], str(year)
        first, last = self.cleaned_data["start_month"], self.cleaned_data["end_month"]
        end = month_bounds(last.year, last.month)[1]
        name = f"{first:%Y-%m}" if first == last else f"{first:%Y-%m}-to-{last:%Y-%m}"
        return month_bounds(first.year, first.month)[0], end, name
