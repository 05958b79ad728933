from django.apps import AppConfig


class TeamsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "teams"

    def ready(self):
        from accounts.signals import account_closed, account_closing

        from . import selectors, services

        account_closing.connect(selectors.account_close_blockers, dispatch_uid="teams-close")
        account_closed.connect(services.member_account_closed, dispatch_uid="teams-closed")
