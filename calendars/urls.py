from django.urls import path

from . import views

app_name = "calendars"

urlpatterns = [
    path("", views.calendar_settings, name="settings"),
    path("rotate/", views.calendar_rotate, name="rotate"),
    path("<str:token>.ics", views.feed, name="feed"),
]
