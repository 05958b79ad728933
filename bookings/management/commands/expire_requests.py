from django.core.management.base import BaseCommand

from bookings.services import booking_expire_stale


class Command(BaseCommand):
    help = (
        "Expire booking requests left unanswered for 72 hours and email the guests. "
        "Idempotent: safe to run from a scheduler every 10 minutes."
    )

    def handle(self, *args, **options):
        count = booking_expire_stale()
        self.stdout.write(f"Expired {count} request(s).")
