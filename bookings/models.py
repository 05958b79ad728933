import calendar
import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from listings.models import Listing
from teams.models import Membership, Team

# A request the host has not answered by then expires (services.booking_expire_stale).
EXPIRE_AFTER = datetime.timedelta(hours=72)
# A status change's note (a decline's reason, an operator's): the history keeps it whole.
EVENT_NOTE_MAX_LENGTH = 500
INSTANT_BOOK_NOTE = "Instant book"  # the note on an approval made at once by instant book


def answer_deadline_for_start(start: datetime.date) -> datetime.datetime:
    """The latest a host may answer a request that starts on ``start``: the end of the day
    before it (midnight as the move-in day begins, local time)."""
    return timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months; the 31st becomes the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


class BookingQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Booking.Status.APPROVED)

    def pending(self):
        return self.filter(status=Booking.Status.REQUESTED)

    def overlapping(self, start: datetime.date, end: datetime.date):
        """Bookings holding desks on at least one day of [start, end)."""
        return self.filter(start__lt=end, end__gt=start)

    def not_over(self, today: datetime.date):
        """Bookings that still matter on ``today``: requests waiting for an answer, and
        approved bookings that have not ended (running, or starting later)."""
        return self.filter(
            Q(status=Booking.Status.REQUESTED) | Q(status=Booking.Status.APPROVED, end__gt=today)
        )

    def visible_to(self, user):
        """What a user may see: the bookings they book (``booked_by``) and bookings on their
        listings. The one access rule every booking page, list and action goes through."""
        return self.filter(self._booked_by_q(user) | Q(listing__host=user))

    def booked_by(self, user):
        """The bookings ``user`` is the guest side of: their own personal bookings and their
        teams' bookings (while they are members: a team booking is the team's, not its
        maker's)."""
        return self.filter(self._booked_by_q(user))

    @staticmethod
    def _booked_by_q(user) -> Q:
        # A subquery, not a join: one row per booking however many members a team has.
        return Q(guest=user, team__isnull=True) | Q(
            team__in=Membership.objects.filter(user=user).values("team_id")
        )


class Booking(models.Model):
    """Desks on a listing for a term of whole months: the days start <= day < end.

    ``end`` is derived from ``start`` + ``months``; it only moves earlier when the guest gives
    notice or an operator ends it (``ended_by_operator_at``). Status changes go through
    bookings.services, which keep the capacity rule.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="bookings")
    guest = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        help_text="Booked for this team: its members see it; ``guest`` is who made it.",
    )
    continues = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="continuation",
        help_text="The booking this one continues with another desk count (a desk change).",
    )
    desks = models.PositiveIntegerField()
    start = models.DateField()
    months = models.PositiveSmallIntegerField()
    end = models.DateField(help_text="First day the desks are free again.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    price_per_desk = models.DecimalField(
        max_digits=8, decimal_places=2, help_text="USD per desk per month when requested."
    )
    total = models.DecimalField(max_digits=12, decimal_places=2)
    message = models.TextField(blank=True, max_length=2000)
    decided_at = models.DateTimeField(null=True, blank=True)
    notice_given_at = models.DateTimeField(null=True, blank=True)
    ended_by_operator_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When PivotDesk (an operator) declined, cancelled or ended it.",
    )
    end_reason = models.CharField(
        max_length=400,
        blank=True,
        help_text="Why PivotDesk declined, cancelled or ended it: the guest and the host read it.",
    )
    request_key = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="The request form's one-time key: a form submitted twice makes one booking.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(desks__gt=0), name="booking_desks_positive"),
            models.CheckConstraint(condition=Q(months__gt=0), name="booking_months_positive"),
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="booking_start_before_end"
            ),
            models.UniqueConstraint(
                fields=["guest", "request_key"],
                condition=~Q(request_key=""),
                name="booking_request_key_once",
            ),
        ]
        indexes = [
            models.Index(fields=["listing", "status", "start", "end"], name="booking_capacity"),
            models.Index(fields=["guest", "-created_at"], name="booking_guest_newest"),
            models.Index(fields=["status", "created_at"], name="booking_status_created"),
        ]

    def __str__(self):
        return f"Booking #{self.pk}: {self.desks} desk{pluralize(self.desks)} from {self.start}"

    def get_absolute_url(self):
        return reverse("bookings:detail", kwargs={"pk": self.pk})

    @property
    def price_per_month(self):
        return self.price_per_desk * self.desks

    @property
    def is_pending(self):
        return self.status == self.Status.REQUESTED

    @property
    def answer_by(self) -> datetime.datetime:
        """When this request expires if the host has not answered (pending requests only):
        72 hours after it was made, or the end of the day before the move-in day
        (America/Denver), whichever comes first — so the guest always knows before the day."""
        return min(self.created_at + EXPIRE_AFTER, answer_deadline_for_start(self.start))

    @property
    def is_approved(self):
        return self.status == self.Status.APPROVED


class Message(models.Model):
    """One message in a booking's thread between the guest and the host."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="booking_messages"
    )
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["booking", "created_at"], name="message_booking_created")]

    def __str__(self):
        return f"Message #{self.pk} on booking #{self.booking_id}"


class BookingEvent(models.Model):
    """A status change (or a notice) with who made it and when. ``actor`` is empty for the
    system (expiry)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=Booking.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Booking.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="booking_events",
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=EVENT_NOTE_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["booking", "at"], name="bookingevent_booking_at")]

    def __str__(self):
        return f"{self.from_status or 'new'} → {self.to_status} on booking #{self.booking_id}"

    def actor_shown(self, booking: "Booking") -> str:
        """Who members are told made this change on ``booking`` (its own, passed in so that
        no query is made): the member who acted, or "PivotDesk" for the system and for an
        operator acting for PivotDesk (neither the booking's guest nor its host): staff names
        and addresses are not shown to guests and hosts."""
        actor = self.actor
        if actor is None or (
            actor.is_operator and actor.pk not in (booking.guest_id, booking.listing.host_id)
        ):
            return "PivotDesk"
        return actor.display_name


class ReviewQuerySet(models.QuerySet):
    def shown(self):
        """Reviews public pages show: not hidden by an operator."""
        return self.filter(hidden_at__isnull=True)


class Review(models.Model):
    """A guest's review of a space, one per booking, written once the booking has run a
    month or ended (bookings.reviews). The host may reply once; operators may hide it with
    a reason, and it stays (never deleted, never editable by the host)."""

    STARS = [MinValueValidator(1), MaxValueValidator(5)]

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="review")
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="reviews")
    guest = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    # What public pages show of the guest: a first name, taken when the review is written.
    guest_name = models.CharField(max_length=80)
    overall = models.PositiveSmallIntegerField(validators=STARS)
    space = models.PositiveSmallIntegerField(validators=STARS)
    host = models.PositiveSmallIntegerField("host", validators=STARS)
    value = models.PositiveSmallIntegerField(validators=STARS)
    text = models.CharField(max_length=2000, blank=True)
    reply = models.CharField(max_length=2000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"review_{name}_stars",
                )
                for name in ("overall", "space", "host", "value")
            ),
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | ~Q(hidden_reason=""),
                name="review_hidden_with_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(replied_at__isnull=True) | ~Q(reply=""),
                name="review_reply_with_text",
            ),
        ]
        indexes = [
            models.Index(fields=["listing", "hidden_at", "-created_at"], name="review_listing"),
        ]

    def __str__(self):
        return f"{self.overall}★ review of booking #{self.booking_id}"

    def get_absolute_url(self):
        return f"{self.listing.get_absolute_url()}#review-{self.pk}"

    @property
    def is_hidden(self):
        return self.hidden_at is not None


class BookingChange(models.Model):
    """A request to grow or shrink an approved booking from the first day of one of its
    booking months (``effective_from``). Approved, it ends the booking that day and continues
    it as a new linked booking with the new desk count (bookings.changes). Not answered by
    that day, it expires (``changes.booking_changes_expire``, daily from the clock)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="changes")
    desks = models.PositiveIntegerField(help_text="Desks from the effective date on.")
    from_desks = models.PositiveIntegerField(help_text="Desks when it was asked for.")
    effective_from = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="booking_changes"
    )
    reason = models.CharField(max_length=500, blank=True, help_text="The host's, if declined.")
    continuation = models.OneToOneField(
        Booking,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="made_by_change",
        help_text="The booking that carries the new desk count, once approved.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(desks__gt=0), name="bookingchange_desks_positive"),
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(status="requested"),
                name="bookingchange_one_open",
            ),
        ]

    def __str__(self):
        return (
            f"Booking #{self.booking_id}: {self.from_desks} → {self.desks} "
            f"desk{pluralize(self.desks)} from {self.effective_from}"
        )

    def get_absolute_url(self):
        return reverse("bookings:detail", kwargs={"pk": self.booking_id})

    @property
    def is_pending(self):
        return self.status == self.Status.REQUESTED

    @property
    def is_growth(self):
        return self.desks > self.from_desks


class HoldQuerySet(models.QuerySet):
    def active(self):
        """Holds that count against capacity: offered and not yet taken, declined or lapsed."""
        return self.filter(status=Hold.Status.HELD)

    def overlapping(self, start: datetime.date, end: datetime.date):
        return self.filter(start__lt=end, end__gt=start)


class Hold(models.Model):
    """Desks set aside for one guest for a while (a waitlist offer): while ``HELD`` they
    count against capacity exactly like an approved booking (bookings.selectors), so no one
    else can take them. ``expires_at`` is empty until the guest has been told (the offer's
    email went out); the hold lapses after it. Writes go through bookings.services."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        BOOKED = "booked", "Taken up"
        DECLINED = "declined", "Declined"
        LAPSED = "lapsed", "Lapsed"

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="holds")
    guest = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="holds"
    )
    desks = models.PositiveIntegerField()
    start = models.DateField()
    months = models.PositiveSmallIntegerField()
    end = models.DateField(help_text="First day the desks are no longer held.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty until the guest has been told of the hold."
    )
    booking = models.OneToOneField(
        Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="hold"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(desks__gt=0), name="hold_desks_positive"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="hold_start_before_end"),
        ]
        indexes = [
            models.Index(fields=["listing", "status", "start", "end"], name="hold_capacity"),
            models.Index(fields=["status", "expires_at"], name="hold_status_expires"),
        ]

    def __str__(self):
        return f"Hold #{self.pk}: {self.desks} desk{pluralize(self.desks)} from {self.start}"

    @property
    def is_held(self):
        return self.status == self.Status.HELD
