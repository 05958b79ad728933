from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="list"),
    path("<int:pk>/", views.team_detail, name="detail"),
    path("<int:pk>/invite/", views.team_invite, name="invite_create"),
    path(
        "<int:pk>/invites/<int:invite_pk>/revoke/",
        views.team_invite_revoke,
        name="invite_revoke",
    ),
    path("<int:pk>/remove/", views.team_remove, name="remove"),
    path("<int:pk>/admin/", views.team_handover, name="handover"),
    path("<int:pk>/close/", views.team_close, name="close"),
    path("<int:pk>/reopen/", views.team_reopen, name="reopen"),
    path("invite/<str:token>/", views.invite_accept, name="invite"),
]
