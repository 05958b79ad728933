from django.urls import path

from . import views

app_name = "tours"

urlpatterns = [
    path("spaces/<slug:city>/<slug:slug>/tours/", views.tour_book, name="book"),
    path(
        "spaces/<slug:city>/<slug:slug>/tours/afternoon/",
        views.tour_afternoon,
        name="afternoon",
    ),
    path("spaces/<slug:city>/<slug:slug>/tours/<int:pk>/", views.tour_detail, name="detail"),
    path(
        "spaces/<slug:city>/<slug:slug>/tours/<int:pk>/cancel/",
        views.tour_cancel,
        name="cancel",
    ),
    path("spaces/<slug:city>/<slug:slug>/tours/<int:pk>/move/", views.tour_move, name="move"),
    path("accounts/tours/", views.tours_mine, name="mine"),
]
