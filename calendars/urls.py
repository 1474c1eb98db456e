from django.urls import path

from calendars import views

app_name = "calendars"

urlpatterns = [
    path("calendar/<str:token>.ics", views.calendar_feed, name="feed"),
    path("bookings/<uuid:booking_id>/calendar.ics", views.booking_calendar, name="booking"),
    path("accounts/calendar/rotate/", views.calendar_rotate, name="rotate"),
    path("dashboard/calendar-import/", views.calendar_import, name="import"),
    path("dashboard/calendar-import/remove/", views.calendar_import_remove, name="import-remove"),
]
