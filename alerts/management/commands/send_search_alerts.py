from django.core.management.base import BaseCommand

from alerts.services import alerts_send


class Command(BaseCommand):
    help = (
        "Work out and queue the saved-search alerts due now (the clock runs this daily). "
        "Idempotent per period: a second run the same day (or week) queues nothing."
    )

    def handle(self, *args, **options):
        queued = alerts_send()
        self.stdout.write(f"{queued} alert{'s' if queued != 1 else ''} queued.")
