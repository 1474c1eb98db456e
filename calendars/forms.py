from django import forms

from calendars.models import MAX_URL_LENGTH


class CalendarImportForm(forms.Form):
    url = forms.CharField(
        label="Your calendar's address (.ics)",
        max_length=MAX_URL_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://calendar.example.com/…/basic.ics", "spellcheck": "false"}),
        help_text="In Google Calendar: Settings → your calendar → “Secret address in iCal format”. In Apple iCloud: "
        "share the calendar as a public calendar and copy its link (webcal:// works too).",
    )
