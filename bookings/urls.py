from django.urls import path

from . import views

app_name = "bookings"

urlpatterns = [
    path("spaces/<slug:city>/<slug:slug>/book/", views.booking_create, name="create"),
    path("spaces/<slug:city>/<slug:slug>/book/cost/", views.booking_cost, name="cost"),
    path("spaces/<slug:city>/<slug:slug>/review/<int:pk>/", views.review_create, name="review"),
    path("bookings/", views.booking_list, name="list"),
    path("bookings/<int:pk>/", views.booking_detail, name="detail"),
    path("bookings/<int:pk>/message/", views.booking_message, name="message"),
    path("bookings/<int:pk>/approve/", views.booking_approve, name="approve"),
    path("bookings/<int:pk>/decline/", views.booking_decline, name="decline"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="cancel"),
    path("bookings/<int:pk>/change/", views.booking_change, name="change"),
    path("bookings/<int:pk>/team/", views.booking_move_to_team, name="team"),
]
