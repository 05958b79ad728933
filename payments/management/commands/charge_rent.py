"""`manage.py charge_rent`: the daily rent run (the clock also runs it at 08:30)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from payments.services import charge_rent


class Command(BaseCommand):
    help = "Charge each booking's rent owed today, exactly once per booking-month."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, date=None, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else None
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        attempted = charge_rent(today=today)
        self.stdout.write(f"{attempted} charge(s) attempted.")
