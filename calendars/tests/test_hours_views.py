"""The working-hours editor at /dashboard/hours/: plain forms, errors in place, nothing half-saved."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calendars.models import AvailabilityRules, DateOverride, WeeklyHours
from calendars.services import date_override_save, weekly_hours_save

T = dt.time


def _week(**days) -> dict:
    """POST data for the week form: days={0: ("09:00", "17:00"), …} by weekday index."""
    data = {"week-TOTAL_FORMS": "7", "week-INITIAL_FORMS": "7", "week-MIN_NUM_FORMS": "7", "week-MAX_NUM_FORMS": "7"}
    for key, ranges in days.items():
        day = int(key.removeprefix("d"))
        for i, (starts, ends) in enumerate(ranges, start=1):
            data[f"week-{day}-starts_{i}"], data[f"week-{day}-ends_{i}"] = starts, ends
    return data


RULES = {
    "rules-buffer_before_minutes": "60",
    "rules-buffer_after_minutes": "30",
    "rules-min_notice_hours": "48",
    "rules-max_gigs_per_day": "2",
    "rules-timezone_name": "Europe/Berlin",
}


@pytest.fixture
def signed_in(client, provider):
    client.force_login(provider)
    return client


def test_a_provider_without_hours_is_told_clients_may_ask_for_any_time(signed_in, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = signed_in.get(reverse("calendars:hours"))
    assert response.status_code == 200
    assert "No hours set: clients may ask for any time" in response.content.decode()


def test_the_dashboard_links_to_the_editor(signed_in):
    assert reverse("calendars:hours") in signed_in.get(reverse("catalog:dashboard")).content.decode()


def test_clients_and_strangers_cannot_open_the_editor(client, client_user):
    assert client.get(reverse("calendars:hours")).status_code == 302  # to the login page
    client.force_login(client_user)
    assert client.get(reverse("calendars:hours")).status_code == 403
    assert client.post(reverse("calendars:hours-week"), _week(d0=[("09:00", "17:00")])).status_code == 403
    assert not WeeklyHours.objects.exists()


def test_saving_a_week_with_a_split_day(signed_in, provider):
    response = signed_in.post(
        reverse("calendars:hours-week"), _week(d0=[("09:00", "12:00"), ("14:00", "18:00")], d5=[("20:00", "00:00")])
    )
    assert response.status_code == 302
    rows = list(WeeklyHours.objects.values_list("weekday", "starts", "ends"))
    assert rows == [(0, T(9), T(12)), (0, T(14), T(18)), (5, T(20), T(0))]
    page = signed_in.get(reverse("calendars:hours")).content.decode()
    assert "No hours set" not in page and 'value="14:00"' in page


@pytest.mark.parametrize(
    ("days", "words"),
    [
        ({"d1": [("18:00", "09:00")]}, "18:00-09:00 ends before it starts"),
        ({"d1": [("09:00", "13:00"), ("12:00", "15:00")]}, "09:00-13:00 and 12:00-15:00 overlap."),
        ({"d1": [("09:00", "")]}, "Give both the start and the end."),
        ({"d1": [("25:00", "26:00")]}, "Enter a valid time."),
    ],
)
def test_bad_hours_are_shown_at_their_day_and_nothing_changes(signed_in, provider, days, words):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(17))]})
    response = signed_in.post(reverse("calendars:hours-week"), _week(d0=[("10:00", "11:00")], **days))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert list(WeeklyHours.objects.values_list("weekday", "starts", "ends")) == [(0, T(9), T(17))]


def test_an_emptied_week_clears_the_hours(signed_in, provider):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(17))]})
    signed_in.post(reverse("calendars:hours-week"), _week())
    assert not WeeklyHours.objects.exists()


def test_a_tampered_week_form_is_refused(signed_in):
    data = _week(d0=[("09:00", "17:00")])
    data["week-TOTAL_FORMS"] = "9"
    response = signed_in.post(reverse("calendars:hours-week"), data, follow=True)
    assert "nothing was saved" in response.content.decode()
    assert not WeeklyHours.objects.exists()
    del data["week-TOTAL_FORMS"]
    assert signed_in.post(reverse("calendars:hours-week"), data).status_code == 302  # no management form: nothing
    assert not WeeklyHours.objects.exists()


def test_rules_are_saved_and_bad_rules_shown(signed_in, provider):
    assert signed_in.post(reverse("calendars:hours-rules"), RULES).status_code == 302
    rules = AvailabilityRules.objects.get(provider=provider)
    assert (rules.buffer_before_minutes, rules.min_notice_hours, rules.max_gigs_per_day) == (60, 48, 2)
    for field, value, words in [
        ("rules-buffer_before_minutes", "1441", "less than or equal to 1440"),
        ("rules-min_notice_hours", "2161", "less than or equal to 2160"),
        ("rules-max_gigs_per_day", "0", "greater than or equal to 1"),
        ("rules-timezone_name", "Mars/Base", "Select a valid choice"),
    ]:
        response = signed_in.post(
            reverse("calendars:hours-rules"), {**RULES, field: value, "rules-buffer_after_minutes": "5"}
        )
        assert response.status_code == 200 and words in response.content.decode()
    assert AvailabilityRules.objects.get(provider=provider).buffer_after_minutes == 30


def test_a_day_off_and_a_date_with_its_own_hours(signed_in, provider):
    day = timezone.localdate() + dt.timedelta(days=10)
    response = signed_in.post(reverse("calendars:hours-override"), {"override-date": day.isoformat()})
    assert response.status_code == 302
    assert [(o.date, o.closed) for o in DateOverride.objects.all()] == [(day, True)]
    signed_in.post(
        reverse("calendars:hours-override"),
        {"override-date": day.isoformat(), "override-starts": "10:00", "override-ends": "14:00"},
    )
    assert list(DateOverride.objects.values_list("starts", "ends")) == [(T(10), T(14))]
    page = signed_in.get(reverse("calendars:hours")).content.decode()
    assert "10:00\u201314:00" in page


def test_bad_dates_are_refused(signed_in):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = signed_in.post(reverse("calendars:hours-override"), {"override-date": yesterday.isoformat()})
    assert "Pick today or a later date." in response.content.decode()
    later = timezone.localdate() + dt.timedelta(days=3)
    response = signed_in.post(
        reverse("calendars:hours-override"),
        {"override-date": later.isoformat(), "override-starts": "14:00", "override-ends": "10:00"},
    )
    assert "ends before it starts" in response.content.decode()
    response = signed_in.post(reverse("calendars:hours-override"), {"override-date": "2027-02-30"})
    assert "Enter a valid date." in response.content.decode()
    assert not DateOverride.objects.exists()


def test_deleting_a_date(signed_in, provider):
    day = timezone.localdate() + dt.timedelta(days=3)
    date_override_save(provider=provider, date=day, ranges=[])
    assert signed_in.post(reverse("calendars:hours-override-delete", args=[day.isoformat()])).status_code == 302
    assert not DateOverride.objects.exists()
    response = signed_in.post(reverse("calendars:hours-override-delete", args=["not-a-date"]), follow=True)
    assert "That date had no hours of its own." in response.content.decode()


def test_staff_read_hours_and_rules_in_the_admin(client, staff_user, provider):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(17))]})
    client.force_login(staff_user)
    for name in ("weeklyhours", "dateoverride", "availabilityrules"):
        assert client.get(reverse(f"admin:calendars_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:calendars_weeklyhours_add")).status_code == 403
