"""Tours of a listing: the host's tour hours and days off, and the tours guests book in them.

A tour takes one 30-minute slot. Slots are wall-clock times in America/Denver (the hours a
host types), turned into aware datetimes day by day, so a 10:00 tour is at 10:00 local time
on both sides of a daylight-saving change (tours.slots).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from listings.models import Listing

SLOT = datetime.timedelta(minutes=30)
HOURS_OFF_GRID = "Tour hours start and end on the hour or the half hour."
HOURS_EMPTY = "The end must be at least 30 minutes after the start."
HOURS_OVERLAP = "These hours overlap the {weekday} hours {starts:%H:%M}–{ends:%H:%M}."


class Weekday(models.IntegerChoices):
    """datetime.date.weekday() numbering."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def _on_grid(value: datetime.time) -> bool:
    return value.minute in (0, 30) and value.second == 0 and value.microsecond == 0


class TourHours(models.Model):
    """On ``weekday`` the host shows the space from ``starts`` to ``ends`` (local time): one
    tour per 30-minute slot, the last one starting 30 minutes before ``ends``."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="tour_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField("from", help_text="Local time (Denver), on the hour or half hour.")
    ends = models.TimeField("to", help_text="Local time (Denver), on the hour or half hour.")

    class Meta:
        ordering = ["listing_id", "weekday", "starts"]
        verbose_name = "tour hours"
        verbose_name_plural = "tour hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(starts__lt=F("ends")), name="tourhours_starts_first"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="tourhours_weekday_range"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"

    def clean(self):
        if self.starts is None or self.ends is None:
            return
        if not (_on_grid(self.starts) and _on_grid(self.ends)):
            raise ValidationError(HOURS_OFF_GRID)
        if self.starts >= self.ends:
            raise ValidationError({"ends": HOURS_EMPTY})
        if self.listing_id is None or self.weekday is None:
            return
        other = (
            TourHours.objects.filter(
                listing_id=self.listing_id,
                weekday=self.weekday,
                starts__lt=self.ends,
                ends__gt=self.starts,
            )
            .exclude(pk=self.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                HOURS_OVERLAP.format(
                    weekday=other.get_weekday_display(), starts=other.starts, ends=other.ends
                )
            )


class TourDayOff(models.Model):
    """A day the host shows no one around (a holiday, an offsite)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="tour_days_off")
    day = models.DateField()
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["listing_id", "day"]
        verbose_name = "tour day off"
        verbose_name_plural = "tour days off"
        constraints = [
            models.UniqueConstraint(fields=["listing", "day"], name="tourdayoff_once_per_day")
        ]

    def __str__(self):
        return f"No tours on {self.day:%a %b} {self.day.day}, {self.day.year}"


class TourAfternoon(models.Model):
    """Two to four tours of one guest on one day, booked together (all or none)."""

    guest = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tour_afternoons"
    )
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-pk"]

    def __str__(self):
        return f"Tour afternoon #{self.pk} on {self.day:%Y-%m-%d}"


class TourQuerySet(models.QuerySet):
    def booked(self):
        return self.filter(status=Tour.Status.BOOKED)

    def upcoming(self, now: datetime.datetime):
        return self.booked().filter(ends_at__gt=now)


class Tour(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="tours")
    guest = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tours"
    )
    afternoon = models.ForeignKey(
        TourAfternoon, on_delete=models.PROTECT, null=True, blank=True, related_name="tours"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # What the guest told the host: the booking form is pre-filled with it after the tour.
    desks = models.PositiveIntegerField()
    move_in = models.DateField("from")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    # The calendar invitation's SEQUENCE: each move or cancellation raises it (RFC 5545).
    sequence = models.PositiveIntegerField(default=0)
    # When the current time was set (booked or moved): a reminder is due only for a time
    # set more than a day ahead.
    scheduled_at = models.DateTimeField()
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TourQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            # One tour per slot: the database refuses a second booked tour at the same time.
            models.UniqueConstraint(
                fields=["listing", "starts_at"],
                condition=Q(status="booked"),
                name="tour_one_per_slot",
            ),
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="tour_has_length"),
            models.CheckConstraint(condition=Q(desks__gt=0), name="tour_desks_positive"),
        ]
        indexes = [models.Index(fields=["guest", "starts_at"], name="tour_guest_time")]

    def __str__(self):
        return f"Tour #{self.pk} of listing {self.listing_id} at {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        listing = self.listing
        return reverse(
            "tours:detail",
            kwargs={"city": listing.city.slug, "slug": listing.slug, "pk": self.pk},
        )

    @property
    def is_booked(self) -> bool:
        return self.status == self.Status.BOOKED
