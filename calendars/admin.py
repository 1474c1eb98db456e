"""Staff see, read-only, each provider's calendar import and what its last fetch found (the
provider sets it up, the task fetches it: calendars.services), and providers' hours and rules
(providers change them in their editor, /dashboard/hours/, where every change is checked and
search is told)."""

from django.contrib import admin

from calendars.models import AvailabilityRules, BusyImport, DateOverride, ImportedBusy, WeeklyHours


class ImportedBusyInline(admin.TabularInline):
    model = ImportedBusy
    fields = ["starts_at", "ends_at", "all_day"]
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    show_change_link = False


@admin.register(BusyImport)
class BusyImportAdmin(admin.ModelAdmin):
    list_display = ["provider", "url", "last_fetched_at", "event_count", "last_error_code"]
    list_filter = ["last_error_code"]
    search_fields = ["provider__email", "provider__display_name", "url"]
    list_select_related = ["provider"]
    inlines = [ImportedBusyInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the provider removes it (calendars.services.busy_import_delete: search forgets its days too)


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
