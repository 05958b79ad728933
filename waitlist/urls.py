from django.urls import path

from . import views

app_name = "waitlist"

urlpatterns = [
    path("spaces/<slug:city>/<slug:slug>/waitlist/", views.waitlist_join, name="join"),
    path(
        "spaces/<slug:city>/<slug:slug>/waitlist/offer/<slug:token>/",
        views.offer_detail,
        name="offer",
    ),
    path("account/waitlist/", views.waitlist_mine, name="mine"),
    path("account/waitlist/<int:pk>/leave/", views.waitlist_leave, name="leave"),
]
