"""Providers' hours and rules, read-only for staff: providers change them in their editor
(/dashboard/hours/), where every change is checked and search is told."""

from django.contrib import admin

from calendars.models import AvailabilityRules, DateOverride, WeeklyHours


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AvailabilityRules)
class AvailabilityRulesAdmin(ReadOnlyAdmin):
    list_display = [
        "provider",
        "timezone",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "min_notice_hours",
        "max_gigs_per_day",
    ]
    search_fields = ["provider__email", "provider__display_name"]


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(ReadOnlyAdmin):
    list_display = ["provider", "weekday", "starts", "ends"]
    search_fields = ["provider__email", "provider__display_name"]


@admin.register(DateOverride)
class DateOverrideAdmin(ReadOnlyAdmin):
    list_display = ["provider", "date", "starts", "ends"]
    list_filter = ["date"]
    search_fields = ["provider__email", "provider__display_name"]
