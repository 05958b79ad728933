"""Writes for host calendar feeds."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .feed import feed_changed
from .models import CalendarFeed, new_token

FEED_HOSTS_ONLY = "Only hosts have a calendar feed."


@transaction.atomic
def calendar_feed_get_or_create(*, host: User) -> CalendarFeed:
    """``host``'s feed, made on first use."""
    if not host.is_host:
        raise ValidationError(FEED_HOSTS_ONLY)
    feed, _ = CalendarFeed.objects.get_or_create(host=host)
    return feed


@transaction.atomic
def calendar_feed_rotate(*, host: User) -> CalendarFeed:
    """Give ``host``'s feed a new secret address; the old one answers 404 from the commit on
    (its cached copies are retired with the host's feed generation)."""
    if not host.is_host:
        raise ValidationError(FEED_HOSTS_ONLY)
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(host=host)
    if not created:
        feed.token = new_token()
        feed.rotated_at = timezone.now()
        feed.full_clean()
        feed.save(update_fields=["token", "rotated_at"])
    feed_changed(host_id=host.pk)
    return feed


def calendar_feed_account_closed(sender, *, user: User, **kwargs) -> None:
    """Receiver of ``accounts.signals.account_closed``: a closed host's feed address stops
    working (rotated to a new secret that no one is shown)."""
    if CalendarFeed.objects.filter(host_id=user.pk).exists():
        calendar_feed_rotate(host=user)
