from django.core.management.base import BaseCommand

from bookings.emails import RESEND_FOR, booking_emails_resend


class Command(BaseCommand):
    help = (
        "Send again the booking emails the mail server did not take, over one connection; "
        f"give up on those older than {RESEND_FOR.days} days. Safe to run from a scheduler "
        "every 10 minutes, also twice at once."
    )

    def handle(self, *args, **options):
        counts = booking_emails_resend()
        self.stdout.write(
            f"Resent {counts['sent']} email(s); {counts['failed']} failed again, "
            f"{counts['given_up']} given up."
        )
