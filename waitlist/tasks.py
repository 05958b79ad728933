"""The waitlist's jobs: offers made after desks free up (queued by the ``desks_freed``
signal in the writer's transaction), and the clock's sweep that lapses offers whose time is
up and offers what no event announced (a booking's term running out)."""

from crontask import cron
from django.tasks import task

from .models import WaitlistEntry
from .services import offers_lapse, offers_make, offers_make_everywhere


@task
def offers_make_for_listing(*, listing_id: int) -> int:
    """Offer a listing's freed desks to its line; return how many offers were made."""
    return len(offers_make(listing_id=listing_id))


def offers_queue_for_listing(sender, *, listing_id: int, **kwargs) -> None:
    """``desks_freed`` receiver: queue the offer job, as a row of the writer's transaction,
    when the listing has anyone waiting. It only queues: offers are made after the commit,
    by the worker, under the listing's lock."""
    if WaitlistEntry.objects.waiting().filter(listing_id=listing_id).exists():
        offers_make_for_listing.enqueue(listing_id=listing_id)


@cron("*/5 * * * *")
@task
def waitlist_offers_sweep() -> int:
    """Every 5 minutes: offers whose 24 hours are up lapse (their guests are told, their
    desks go to the next guest who fits), then every line is offered what is free. Returns
    offers lapsed plus made."""
    return offers_lapse() + offers_make_everywhere()
