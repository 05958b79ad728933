from django.urls import path

from . import views

app_name = "listings"

urlpatterns = [
    path("", views.home, name="home"),
    path("spaces/", views.search, name="search"),
    path("spaces/<slug:city>/", views.city_detail, name="city"),
    path("spaces/<slug:city>/<slug:slug>/", views.listing_detail, name="detail"),
]
