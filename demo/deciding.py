"""Demo data for deciding on a space: monthly extras, reviews from past guests (with a
host's reply) and the demo host's answer times. Idempotent; no random draws, so the
listings' sequence stays as it was.

Past stays are history, written as rows (the booking services only take future dates);
the reviews themselves go through bookings.reviews, with emails muted.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings.answers import host_answers_refresh
from bookings.emails import booking_emails_muted
from bookings.models import Booking, BookingEvent, Review, add_months
from bookings.reviews import review_create, review_reply
from listings.models import Listing, ListingExtra
from listings.services import listing_extra_save

REVIEWERS = [
    ("maya@guests.pivotdesk.test", "Maya Lindqvist"),
    ("omar@guests.pivotdesk.test", "Omar Haddad"),
    ("june@guests.pivotdesk.test", "June Park"),
]
EXTRAS = [  # (kind, required, cents) on the demo host's first listings
    [(ListingExtra.Kind.PARKING, True, 7500), (ListingExtra.Kind.LOCKER, False, 1500)],
    [(ListingExtra.Kind.MEETING_ROOM_CREDIT, True, 5000), (ListingExtra.Kind.MAILBOX, False, 2500)],
    [(ListingExtra.Kind.MAILBOX, True, 2000)],
]
REVIEWS = [  # (overall, space, host, value, text)
    (5, 5, 5, 4, "Bright, quiet and the coffee is good. The host sorted our keys in a day."),
    (4, 4, 5, 3, "Great people around us. Parking is extra, which adds up, but worth it."),
    (5, 4, 5, 5, "We grew from two desks to five here without a hitch."),
]
ANSWER_HOURS = [1, 2, 3, 5]  # how long the demo host took to answer recent requests


def seed_deciding(*, host: User) -> None:
    """Extras on ``host``'s first listings, three reviews (one replied to) and recent
    answered requests, once."""
    listings = list(Listing.objects.published().filter(host=host).order_by("pk")[:3])
    if len(listings) < 3 or ListingExtra.objects.filter(listing__in=listings).exists():
        return
    today = timezone.localdate()
    with transaction.atomic(), booking_emails_muted():
        for listing, extras in zip(listings, EXTRAS, strict=True):
            for kind, required, cents in extras:
                listing_extra_save(listing=listing, kind=kind, required=required, price_cents=cents)
        reviewed = listings[0]
        for n, ((email, name), stars) in enumerate(zip(REVIEWERS, REVIEWS, strict=True)):
            guest, _ = User.objects.get_or_create(email=email, defaults={"name": name})
            # A three-month stay that ended before today.
            start = add_months(today, -(4 + n * 2))
            booking = _past(reviewed, guest, start=start, months=3, status=Booking.Status.APPROVED)
            overall, space, host_stars, value, text = stars
            review = review_create(
                booking=booking,
                guest=guest,
                overall=overall,
                space=space,
                host=host_stars,
                value=value,
                text=text,
            )
            Review.objects.filter(pk=review.pk).update(
                created_at=timezone.now() - datetime.timedelta(days=30 + 40 * n)
            )
            if n == 1:
                review_reply(
                    review=review,
                    host=host,
                    text="Thank you! We now include two hours of meeting room a week.",
                )
        # Recent requests the host answered (declined: the dates were taken).
        guest = User.objects.get(email=REVIEWERS[0][0])
        for n, hours in enumerate(ANSWER_HOURS):
            asked = timezone.now() - datetime.timedelta(days=10 + 7 * n)
            booking = _past(
                listings[1],
                guest,
                start=today + datetime.timedelta(days=60),
                months=1,
                status=Booking.Status.DECLINED,
                created_at=asked,
            )
            event = BookingEvent.objects.create(
                booking=booking,
                from_status=Booking.Status.REQUESTED,
                to_status=Booking.Status.DECLINED,
                actor=host,
                note="Those dates are taken; the month after is free.",
            )
            BookingEvent.objects.filter(pk=event.pk).update(
                at=asked + datetime.timedelta(hours=hours)
            )
    host_answers_refresh(host_id=host.pk)


def _past(listing, guest, *, start, months, status, created_at=None) -> Booking:
    booking = Booking.objects.create(
        listing=listing,
        guest=guest,
        desks=1,
        start=start,
        months=months,
        end=add_months(start, months),
        status=status,
        price_per_desk=listing.price_per_desk,
        total=listing.price_per_desk * months,
    )
    Booking.objects.filter(pk=booking.pk).update(
        created_at=created_at
        or timezone.make_aware(datetime.datetime.combine(start, datetime.time(9)))
    )
    return booking
