from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("search", views.search, name="search"),
    path("places/cities", views.city_suggestions, name="city-suggestions"),
    path("providers/<uuid:provider_id>/", views.provider_detail, name="provider"),
    path("services/<uuid:service_id>/", views.service_detail, name="service"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/services/new/", views.service_new, name="service-new"),
    path("dashboard/services/<uuid:service_id>/edit/", views.service_edit, name="service-edit"),
    path("dashboard/services/<uuid:service_id>/card/", views.service_card, name="service-card"),
    path("dashboard/services/<uuid:service_id>/toggle/", views.service_toggle, name="service-toggle"),
    path("dashboard/photos/", views.photo_upload, name="photo-upload"),
    path("dashboard/photos/<uuid:photo_id>/delete/", views.photo_delete, name="photo-delete"),
    path("dashboard/blocked-dates/", views.block_dates, name="block-dates"),
    path("dashboard/blocked-dates/<str:date>/delete/", views.unblock_date, name="unblock-date"),
]
