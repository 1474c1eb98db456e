from django.urls import path

from favourites import views

app_name = "favourites"

urlpatterns = [
    path("saved/", views.favourite_list, name="list"),
    path("saved/request/", views.favourites_request_send, name="request"),
    path("saved/services/<uuid:service_id>/", views.service_toggle, name="service"),
    path("saved/providers/<uuid:provider_id>/", views.provider_toggle, name="provider"),
]
