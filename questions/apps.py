from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "questions"
    # Questions about their own spaces, read-only: hosts answer on the site's page.
    host_permissions = ("view_conversation", "view_message")
