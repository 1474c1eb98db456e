"""The working-hours editor's forms (no JavaScript): a week of day forms, a date override, the
rules; and the address of a provider's own calendar to import."""

import datetime as dt
import zoneinfo

from django import forms
from django.utils import timezone

from calendars.models import MAX_BUFFER_MINUTES, MAX_GIGS_PER_DAY, MAX_NOTICE_HOURS, MAX_URL_LENGTH
from calendars.services import ranges_problem

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


def _ranges(data: dict, pairs: list[tuple[str, str]], form: forms.Form) -> list[tuple[dt.time, dt.time]]:
    """The ranges the filled pairs of fields give; a half-filled pair is an error at its field."""
    out = []
    for start_name, end_name in pairs:
        starts, ends = data.get(start_name), data.get(end_name)
        if starts is None and ends is None:
            continue
        if starts is None or ends is None:
            form.add_error(start_name if starts is None else end_name, "Give both the start and the end.")
            continue
        out.append((starts, ends))
    return out


class DayHoursForm(forms.Form):
    """One weekday's hours: up to two ranges (a split day), empty for a day off."""

    starts_1 = forms.TimeField(label="From", required=False, widget=TIME)
    ends_1 = forms.TimeField(label="To", required=False, widget=TIME)
    starts_2 = forms.TimeField(label="From", required=False, widget=TIME)
    ends_2 = forms.TimeField(label="To", required=False, widget=TIME)

    def clean(self):
        data = super().clean()
        data["ranges"] = _ranges(data, [("starts_1", "ends_1"), ("starts_2", "ends_2")], self)
        if problem := ranges_problem(data["ranges"]):
            self.add_error(None, problem)
        return data


class BaseWeekFormSet(forms.BaseFormSet):
    def week(self) -> dict[int, list[tuple[dt.time, dt.time]]]:
        return {day: form.cleaned_data["ranges"] for day, form in enumerate(self.forms) if form.cleaned_data["ranges"]}


WeekFormSet = forms.formset_factory(
    DayHoursForm, formset=BaseWeekFormSet, extra=0, min_num=7, max_num=7, validate_min=True, validate_max=True
)


def week_initial(weekly: dict[int, list[tuple[dt.time, dt.time]]]) -> list[dict]:
    out = []
    for day in range(7):
        row = {}
        for i, (starts, ends) in enumerate(weekly.get(day, [])[:2], start=1):
            row.update({f"starts_{i}": starts, f"ends_{i}": ends})
        out.append(row)
    return out


class OverrideForm(forms.Form):
    """One date with its own hours; no times is a day off."""

    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    starts = forms.TimeField(label="From", required=False, widget=TIME)
    ends = forms.TimeField(label="To", required=False, widget=TIME, help_text="Leave both times empty for a day off.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "override")
        super().__init__(*args, **kwargs)
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean(self):
        data = super().clean()
        data["ranges"] = _ranges(data, [("starts", "ends")], self)
        return data


class RulesForm(forms.Form):
    buffer_before_minutes = forms.IntegerField(
        label="Free before each gig (minutes)",
        min_value=0,
        max_value=MAX_BUFFER_MINUTES,
        help_text="Travel and set-up: no other gig may end closer than this before one of yours starts.",
    )
    buffer_after_minutes = forms.IntegerField(
        label="Free after each gig (minutes)",
        min_value=0,
        max_value=MAX_BUFFER_MINUTES,
        help_text="Packing and travel home.",
    )
    min_notice_hours = forms.IntegerField(
        label="Minimum notice (hours)",
        min_value=0,
        max_value=MAX_NOTICE_HOURS,
        help_text="How long before a gig a request may come at the latest (at most 90 days).",
    )
    max_gigs_per_day = forms.IntegerField(
        label="At most gigs a day",
        min_value=1,
        max_value=MAX_GIGS_PER_DAY,
        required=False,
        help_text="Empty: no limit. A gig past midnight counts on both days.",
    )
    timezone_name = forms.ChoiceField(
        label="Time zone of your hours",
        choices=[(z, z) for z in TIME_ZONES],
        help_text="Your hours are read on this clock; clients see free times on the venue's clock.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "rules")
        super().__init__(*args, **kwargs)


class CalendarImportForm(forms.Form):
    url = forms.CharField(
        label="Your calendar's address (.ics)",
        max_length=MAX_URL_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://calendar.example.com/…/basic.ics", "spellcheck": "false"}),
        help_text="In Google Calendar: Settings → your calendar → “Secret address in iCal format”. In Apple iCloud: "
        "share the calendar as a public calendar and copy its link (webcal:// works too).",
    )
