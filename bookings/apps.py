from django.apps import AppConfig


class BookingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bookings"
    # Requests and desk changes on their own listings, seen and answered; reviews answered
    # once, never deleted (accounts.services.host_permissions).
    host_permissions = (
        *("view_booking", "change_booking", "view_message", "view_bookingevent"),
        *("view_bookingchange", "change_bookingchange", "view_review", "change_review"),
    )

    def ready(self):
        from accounts.signals import account_closed, account_closing
        from teams.signals import team_closing

        from . import reviews, selectors, signals

        signals.connect()
        team_closing.connect(selectors.team_close_blockers, dispatch_uid="bookings-team-close")
        account_closing.connect(selectors.account_close_blockers, dispatch_uid="bookings-close")
        account_closed.connect(reviews.reviews_account_closed, dispatch_uid="bookings-closed")
