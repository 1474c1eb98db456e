from django.urls import path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read/", views.notification_read_all, name="read-all"),
    path("notifications/<uuid:notification_id>/read/", views.notification_read, name="read"),
    path("notifications/preferences/", views.email_preferences, name="preferences"),
]
