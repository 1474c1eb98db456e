"""Saving working hours, date overrides and rules: bad input is refused with a reason per field,
and nothing is written."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from calendars.models import AvailabilityRules, DateOverride, WeeklyHours
from calendars.services import (
    availability_rules_save,
    date_override_delete,
    date_override_save,
    ranges_problem,
    weekly_hours_save,
)

T = dt.time
RULES = {
    "buffer_before_minutes": 30,
    "buffer_after_minutes": 15,
    "min_notice_hours": 24,
    "max_gigs_per_day": 2,
    "timezone_name": "Europe/Berlin",
}


def _errors(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


def test_inverted_range_is_refused_and_nothing_is_written(provider):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(17))]})
    errors = _errors(weekly_hours_save, provider=provider, week={0: [(T(10), T(12))], 1: [(T(18), T(9))]})
    assert errors == {
        "tuesday": [
            "18:00-09:00 ends before it starts: to work past midnight, end at 00:00 and start the next day at 00:00."
        ]
    }
    assert list(WeeklyHours.objects.values_list("weekday", "starts", "ends")) == [(0, T(9), T(17))]


def test_overlapping_ranges_are_refused(provider):
    errors = _errors(weekly_hours_save, provider=provider, week={2: [(T(14), T(18)), (T(9), T(15))]})
    assert errors == {"wednesday": ["09:00-15:00 and 14:00-18:00 overlap."]}
    assert not WeeklyHours.objects.exists()


def test_an_empty_range_and_touching_ranges(provider):
    assert ranges_problem([(T(9), T(9))]).startswith("09:00-09:00 ends before it starts")
    assert ranges_problem([(T(9), T(12)), (T(12), T(0))]) is None  # touching is fine; 00:00 ends at midnight


def test_an_empty_week_removes_the_hours(provider):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(17))]})
    weekly_hours_save(provider=provider, week={})
    assert not WeeklyHours.objects.exists()


def test_only_providers_have_hours(client_user):
    with pytest.raises(PermissionDenied):
        weekly_hours_save(provider=client_user, week={0: [(T(9), T(17))]})
    with pytest.raises(PermissionDenied):
        availability_rules_save(provider=client_user, **RULES)


def test_override_in_the_past_or_with_bad_ranges_is_refused(provider):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert _errors(date_override_save, provider=provider, date=yesterday, ranges=[]) == {
        "date": ["Pick today or a later date."]
    }
    later = timezone.localdate() + dt.timedelta(days=3)
    assert (
        "overlap"
        in _errors(date_override_save, provider=provider, date=later, ranges=[(T(9), T(12)), (T(11), T(13))])["ranges"][
            0
        ]
    )
    far = timezone.localdate() + dt.timedelta(days=3 * 365)
    assert "date" in _errors(date_override_save, provider=provider, date=far, ranges=[])
    assert not DateOverride.objects.exists()


def test_override_replaces_the_dates_earlier_one_and_deletes(provider):
    day = timezone.localdate() + dt.timedelta(days=3)
    date_override_save(provider=provider, date=day, ranges=[(T(9), T(12)), (T(14), T(16))])
    date_override_save(provider=provider, date=day, ranges=[])
    assert [(o.date, o.closed) for o in DateOverride.objects.all()] == [(day, True)]
    assert date_override_delete(provider=provider, date=day) == 1
    assert not DateOverride.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"buffer_before_minutes": 24 * 60 + 1}, "buffer_before_minutes"),
        ({"buffer_after_minutes": -1}, "buffer_after_minutes"),
        ({"min_notice_hours": 90 * 24 + 1}, "min_notice_hours"),
        ({"max_gigs_per_day": 0}, "max_gigs_per_day"),
        ({"timezone_name": "Mars/Olympus"}, "timezone"),
    ],
)
def test_rules_out_of_range_are_refused(provider, change, field):
    errors = _errors(availability_rules_save, provider=provider, **{**RULES, **change})
    assert list(errors) == [field]
    assert not AvailabilityRules.objects.exists()


def test_rules_are_saved_and_updated(provider):
    availability_rules_save(provider=provider, **RULES)
    availability_rules_save(provider=provider, **{**RULES, "max_gigs_per_day": None})
    rules = AvailabilityRules.objects.get(provider=provider)
    assert (rules.buffer_before_minutes, rules.max_gigs_per_day, rules.timezone) == (30, None, "Europe/Berlin")
