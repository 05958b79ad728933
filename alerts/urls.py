from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.saved_search_list, name="list"),
    path("new/", views.saved_search_new, name="new"),
    path("<int:pk>/", views.saved_search_edit, name="edit"),
    path("<int:pk>/delete/", views.saved_search_remove, name="delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
