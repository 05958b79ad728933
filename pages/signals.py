"""Cache invalidation only: an operator's edit to a site page shows at once."""

from django.db.models.signals import post_delete, post_save

from pivotdesk.pagecache import public_content_changed

from .models import Page


def page_changed(sender, instance, raw=False, using=None, **kwargs):
    if not raw:
        public_content_changed(using=using, instance=instance)


def connect() -> None:
    post_save.connect(page_changed, sender=Page, dispatch_uid="pc-page-save")
    post_delete.connect(page_changed, sender=Page, dispatch_uid="pc-page-delete")
