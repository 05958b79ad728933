"""Reviews from verified guests: the writes (keyword-only services) and who may write them.

Only the guest of an approved booking that has run a month (or ended) reviews, once per
booking. The host of the listing replies once; operators hide a review with a reason. Each
write locks the listing row first, then the booking (the lock order of bookings.services),
recomputes the listing's shown average and count (``Listing.rating_average`` /
``rating_count``, which the search filters on) and tells public pages.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from accounts.models import FORMER_MEMBER, User
from jobs.services import effect_once
from listings.models import Listing
from listings.services import listing_lock, listing_rating_set
from pivotdesk.pagecache import public_content_changed

from .emails import BookingEmail, EmailKind, Recipient, booking_emails_enqueue
from .models import Booking, Review, add_months
from .rules import (
    REPLY_EMPTY,
    REVIEW_ALREADY,
    reply_check,
    review_check,
    reviewable_from,
)

HIDE_NEEDS_REASON = "Say why this review is hidden (kept for the record)."

# The review invitations look this far back for bookings that became reviewable, so a
# clock that stopped for a few days still invites everyone once.
INVITE_WINDOW = datetime.timedelta(days=7)


def public_first_name(user: User) -> str:
    """How a review signs: the guest's first name, never their email."""
    words = user.name.split()
    return words[0][:80] if words else "A guest"


@transaction.atomic
def reviews_account_closed(sender, *, user: User, **kwargs) -> None:
    """Receiver of ``accounts.signals.account_closed``: ``user``'s reviews stay (with their
    ratings) but are signed "Former member" instead of their first name."""
    reviews = Review.objects.filter(guest_id=user.pk).exclude(guest_name=FORMER_MEMBER)
    listing_ids = set(reviews.values_list("listing_id", flat=True))
    reviews.update(guest_name=FORMER_MEMBER)
    for listing in Listing.objects.filter(pk__in=listing_ids).select_related("city"):
        public_content_changed(instance=listing)


def _rating_refresh(listing_id: int) -> None:
    """Caller holds the listing's row lock: store the shown reviews' average and count."""
    shown = Review.objects.shown().filter(listing_id=listing_id)
    figures = shown.aggregate(average=Avg("overall"), count=Count("pk"))
    average = figures["average"]
    if average is not None:
        average = Decimal(str(average)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    listing_rating_set(listing_id=listing_id, average=average, count=figures["count"])


@transaction.atomic
def review_create(
    *,
    booking: Booking,
    guest: User,
    overall: int,
    space: int,
    host: int,
    value: int,
    text: str = "",
) -> Review:
    """The guest's review of ``booking``. ValidationError (nothing saved) for anyone else,
    a booking that did not go ahead or has not run a month, a second review, stars outside
    1-5 or text over 2,000 characters. The host is emailed."""
    listing_lock(listing_id=booking.listing_id)
    locked = Booking.objects.select_for_update().get(pk=booking.pk)
    review_check(booking=locked, user=guest, today=timezone.localdate())
    review = Review(
        booking=locked,
        listing_id=locked.listing_id,
        guest=guest,
        guest_name=public_first_name(guest),
        overall=overall,
        space=space,
        host=host,
        value=value,
        text=text.strip(),
    )
    review.full_clean()
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as exc:  # a concurrent first review: the unique booking holds
        raise ValidationError(REVIEW_ALREADY, code="duplicate") from exc
    _rating_refresh(locked.listing_id)
    booking_emails_enqueue(
        [BookingEmail(booking_id=locked.pk, kind=EmailKind.REVIEW_NEW, to=Recipient.HOST)]
    )
    return review


@transaction.atomic
def review_reply(*, review: Review, host: User, text: str) -> Review:
    """The host's one public reply to ``review``."""
    listing_lock(listing_id=review.listing_id)
    locked = Review.objects.select_for_update().select_related("listing").get(pk=review.pk)
    reply_check(review=locked, user=host)
    text = text.strip()
    if not text:
        raise ValidationError({"reply": REPLY_EMPTY})
    locked.reply, locked.replied_at = text, timezone.now()
    locked.full_clean()
    locked.save(update_fields=["reply", "replied_at"])
    public_content_changed(instance=locked.listing)
    return locked


@transaction.atomic
def review_hide(*, review: Review, reason: str) -> Review:
    """Hide ``review`` from public pages, with the operator's ``reason``; it is kept."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"hidden_reason": HIDE_NEEDS_REASON})
    listing_lock(listing_id=review.listing_id)
    locked = Review.objects.select_for_update().get(pk=review.pk)
    locked.hidden_reason = reason[:500]
    locked.hidden_at = locked.hidden_at or timezone.now()
    locked.full_clean()
    locked.save(update_fields=["hidden_at", "hidden_reason"])
    _rating_refresh(locked.listing_id)
    return locked


@transaction.atomic
def review_show(*, review: Review) -> Review:
    """Show a hidden review again (its last reason stays on record)."""
    listing_lock(listing_id=review.listing_id)
    locked = Review.objects.select_for_update().get(pk=review.pk)
    locked.hidden_at = None
    locked.save(update_fields=["hidden_at"])
    _rating_refresh(locked.listing_id)
    return locked


def reviews_invite(*, today: datetime.date | None = None) -> int:
    """Invite each guest whose booking became reviewable in the last week (and who has not
    reviewed it) to review it; return how many invitations were queued. Once per booking,
    ever: queued under a once-only marker, like the hosts' answer reminders."""
    today = today or timezone.localdate()
    month_ago = add_months(today, -1)
    candidates = (
        Booking.objects.approved()
        .filter(review__isnull=True, start__lte=today, guest__is_active=True)
        .filter(
            # Ran a month (started a month ago, within the window), or ended within it.
            Q(start__gte=month_ago - INVITE_WINDOW, start__lte=month_ago)
            | Q(end__gte=today - INVITE_WINDOW, end__lte=today)
        )
        .order_by("pk")
    )
    queued = 0
    for booking in candidates:
        if not today - INVITE_WINDOW <= reviewable_from(booking) <= today:
            continue
        email = BookingEmail(
            booking_id=booking.pk, kind=EmailKind.REVIEW_INVITE, to=Recipient.GUEST
        )
        queued += effect_once(
            key=f"{email.key}:queued", effect=lambda email=email: booking_emails_enqueue([email])
        )
    return queued
