"""``python manage.py prune_photo_files [--dry-run] [--hours N]``: delete photo files no photo
uses. The clock runs it daily (listings.tasks); safe to run by hand at any time."""

import datetime

from django.core.management.base import BaseCommand

from listings.services import photo_files_prune


class Command(BaseCommand):
    help = "Delete files under listings/ in media storage that no photo uses any more."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List them, delete nothing.")
        parser.add_argument(
            "--hours",
            type=int,
            default=1,
            help="Only files older than this (default 1): younger ones may be mid-upload.",
        )

    def handle(self, *args, dry_run=False, hours=1, **options):
        pruned = photo_files_prune(older_than=datetime.timedelta(hours=hours), dry_run=dry_run)
        for name in pruned:
            self.stdout.write(f"  {name}")
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {len(pruned)} unused photo file(s).")
