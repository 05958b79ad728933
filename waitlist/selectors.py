"""Reads for the waitlist; each owns its select_related and runs a fixed number of queries."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from listings.models import Listing

from .models import WaitlistEntry


def ahead_in_line() -> Subquery:
    """How many waiting entries on the same listing joined before this one."""
    earlier = (
        WaitlistEntry.objects.waiting()
        .filter(listing_id=OuterRef("listing_id"))
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("listing_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(earlier, output_field=IntegerField()), 0)


def waitlist_for_guest(*, user: User) -> QuerySet[WaitlistEntry]:
    """``user``'s places in line, open ones first, newest first; each waiting entry has
    ``ahead`` (how many wait before it: its place is ``ahead + 1``). One query."""
    return (
        WaitlistEntry.objects.filter(guest=user)
        .select_related("listing", "listing__city", "hold")
        .annotate(ahead=ahead_in_line())
        .order_by("-created_at", "-pk")
    )


def waitlist_for_host(*, host: User) -> QuerySet[WaitlistEntry]:
    """The waitlists on ``host``'s spaces, in line order per space, with ``ahead``."""
    return (
        WaitlistEntry.objects.filter(listing__host=host)
        .select_related("listing", "guest", "hold")
        .annotate(ahead=ahead_in_line())
        .order_by("listing__title", "listing_id", "created_at", "pk")
    )


def waitlist_open_entry(*, user: User, listing: Listing) -> WaitlistEntry | None:
    """``user``'s place in ``listing``'s line (waiting or holding an offer), with ``ahead``,
    or None. One query."""
    return (
        WaitlistEntry.objects.open()
        .filter(guest=user, listing=listing)
        .select_related("listing", "listing__city", "hold")
        .annotate(ahead=ahead_in_line())
        .first()
    )


def waitlist_place(*, entry: WaitlistEntry) -> int:
    """``entry``'s place in its line (1 is next), counting waiting entries only. One query."""
    ahead = (
        WaitlistEntry.objects.filter(pk=entry.pk)
        .annotate(ahead=ahead_in_line())
        .values("ahead")
        .get()
    )
    return ahead["ahead"] + 1


def offer_for_link(*, city: str, slug: str, token: str) -> WaitlistEntry | None:
    """The entry whose offer link this is (any status: a used or lapsed link is answered
    with what became of it), or None for a link that was never made."""
    if not token:
        return None
    return (
        WaitlistEntry.objects.select_related("listing", "listing__city", "hold", "hold__booking")
        .filter(token=token, listing__city__slug=city, listing__slug=slug)
        .first()
    )


def lines_to_leave(*, user_id: int) -> QuerySet[WaitlistEntry]:
    """``user_id``'s open places in line (waiting or holding an offer), by listing id: what
    closing the account leaves (``waitlist.services.waitlist_account_closed``)."""
    return WaitlistEntry.objects.open().filter(guest_id=user_id).order_by("listing_id", "pk")


def account_close_listings(sender, *, user: User, **kwargs) -> list[int]:
    """Receiver of ``accounts.signals.account_close_listings``: the listings whose lines
    closing ``user``'s account leaves (and so locks)."""
    return list(lines_to_leave(user_id=user.pk).values_list("listing_id", flat=True))
