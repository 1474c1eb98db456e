from django.urls import path

from bookings import views

app_name = "bookings"

urlpatterns = [
    path("services/<uuid:service_id>/book/", views.booking_new, name="new"),
    path("services/<uuid:service_id>/book/price/", views.booking_price, name="price"),
    path("bookings/", views.booking_list, name="list"),
    path("bookings/<uuid:booking_id>/", views.booking_detail, name="detail"),
    path("bookings/<uuid:booking_id>/actions/<slug:action>/", views.booking_action, name="action"),
    path("bookings/<uuid:booking_id>/review/", views.booking_review, name="review"),
    path("bookings/<uuid:booking_id>/reviews/<int:review_id>/reply/", views.booking_review_reply, name="review_reply"),
    path("bookings/<uuid:booking_id>/reschedule/", views.booking_reschedule, name="reschedule"),
    path("bookings/<uuid:booking_id>/messages/", views.booking_message, name="message"),
    path("bookings/<uuid:booking_id>/files/<uuid:attachment_id>/", views.booking_attachment, name="attachment"),
    path("bookings/<uuid:booking_id>/offer/", views.booking_offer, name="offer"),
]
