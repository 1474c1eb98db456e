from django.urls import path

from catalog import views

app_name = "catalog"
SERVICE_PHOTO = "dashboard/services/<uuid:service_id>/photos/<uuid:photo_id>/"

urlpatterns = [
    path("search", views.search, name="search"),
    path("places/cities", views.city_suggestions, name="city-suggestions"),
    path("providers/<uuid:provider_id>/", views.provider_detail, name="provider"),
    path("providers/<uuid:provider_id>/photos/", views.provider_gallery, name="provider-photos"),
    path("providers/<uuid:provider_id>/photos/<int:number>/", views.provider_gallery, name="provider-photo"),
    path("services/<uuid:service_id>/", views.service_detail, name="service"),
    path("services/<uuid:service_id>/photos/", views.service_gallery, name="service-photos"),
    path("services/<uuid:service_id>/photos/<int:number>/", views.service_gallery, name="service-photo"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/services/new/", views.service_new, name="service-new"),
    path("dashboard/services/<uuid:service_id>/edit/", views.service_edit, name="service-edit"),
    path("dashboard/services/<uuid:service_id>/card/", views.service_card, name="service-card"),
    path("dashboard/services/<uuid:service_id>/toggle/", views.service_toggle, name="service-toggle"),
    path("dashboard/services/<uuid:service_id>/photos/", views.service_photos_upload, name="service-photos-upload"),
    path(
        "dashboard/services/<uuid:service_id>/photos/from-profile/<uuid:photo_id>/",
        views.service_photo_copy,
        name="service-photo-copy",
    ),
    path(f"{SERVICE_PHOTO}alt/", views.service_photo_alt, name="service-photo-alt"),
    path(f"{SERVICE_PHOTO}up/", views.service_photo_move_view, {"step": -1}, name="service-photo-up"),
    path(f"{SERVICE_PHOTO}down/", views.service_photo_move_view, {"step": 1}, name="service-photo-down"),
    path(f"{SERVICE_PHOTO}cover/", views.service_photo_cover, name="service-photo-cover"),
    path(f"{SERVICE_PHOTO}delete/", views.service_photo_remove, name="service-photo-delete"),
    path("dashboard/photos/", views.photo_upload, name="photo-upload"),
    path("dashboard/photos/<uuid:photo_id>/delete/", views.photo_delete, name="photo-delete"),
    path("dashboard/blocked-dates/", views.block_dates, name="block-dates"),
    path("dashboard/blocked-dates/<str:date>/delete/", views.unblock_date, name="unblock-date"),
]
