from django.urls import path

from . import views

app_name = "questions"

urlpatterns = [
    path("spaces/<slug:city>/<slug:slug>/ask/", views.question_ask, name="ask"),
    path("questions/", views.conversation_list, name="list"),
    path("questions/<int:pk>/", views.conversation_detail, name="detail"),
    path("questions/<int:pk>/reply/", views.conversation_reply, name="reply"),
    path("questions/<int:pk>/close/", views.conversation_close, name="close"),
]
