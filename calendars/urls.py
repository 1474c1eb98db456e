from django.urls import path

from calendars import views

app_name = "calendars"

urlpatterns = [
    path("calendar/<str:token>.ics", views.calendar_feed, name="feed"),
    path("bookings/<uuid:booking_id>/calendar.ics", views.booking_calendar, name="booking"),
    path("accounts/calendar/rotate/", views.calendar_rotate, name="rotate"),
    path("dashboard/calendar-import/", views.calendar_import, name="import"),
    path("dashboard/calendar-import/remove/", views.calendar_import_remove, name="import-remove"),
    path("dashboard/hours/", views.hours_edit, name="hours"),
    path("dashboard/hours/week/", views.hours_week, name="hours-week"),
    path("dashboard/hours/rules/", views.hours_rules, name="hours-rules"),
    path("dashboard/hours/dates/", views.hours_override, name="hours-override"),
    path("dashboard/hours/dates/<str:date>/delete/", views.hours_override_delete, name="hours-override-delete"),
]
