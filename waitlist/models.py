import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.template.defaultfilters import pluralize
from django.urls import reverse

from bookings.models import Hold, add_months
from listings.models import Listing

# How long an offer's desks stay held once the guest has been told (its email went out).
OFFER_HOLD = datetime.timedelta(hours=24)


class WaitlistEntryQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status=WaitlistEntry.Status.WAITING)

    def offered(self):
        return self.filter(status=WaitlistEntry.Status.OFFERED)

    def open(self):
        """In the line or holding an offer: what a guest can have once per listing."""
        return self.filter(status__in=WaitlistEntry.OPEN)

    def in_line_order(self):
        """First come, first offered."""
        return self.order_by("created_at", "pk")


class WaitlistEntry(models.Model):
    """A guest waiting for ``desks`` desks on a full listing, from ``start`` (or the first
    day after it they can be had) for ``months`` months. When desks free up the first entry
    that fits gets an offer: a bookings ``Hold`` and an email with a link (``token``) to take
    it up. Writes go through waitlist.services."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered"
        BOOKED = "booked", "Took the offer"
        DECLINED = "declined", "Declined the offer"
        LAPSED = "lapsed", "Offer lapsed"
        LEFT = "left", "Left the line"

    OPEN = (Status.WAITING, Status.OFFERED)

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="waitlist")
    guest = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    desks = models.PositiveIntegerField()
    start = models.DateField(help_text="The move-in day asked for; an offer may start later.")
    months = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    hold = models.OneToOneField(
        Hold, on_delete=models.PROTECT, null=True, blank=True, related_name="waitlist_entry"
    )
    token = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The offer link's secret (empty until an offer is made).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "waitlist entry"
        verbose_name_plural = "waitlist"
        constraints = [
            models.CheckConstraint(condition=Q(desks__gt=0), name="waitlist_desks_positive"),
            models.CheckConstraint(condition=Q(months__gt=0), name="waitlist_months_positive"),
            models.UniqueConstraint(
                fields=["listing", "guest"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_once_per_guest",
            ),
            models.UniqueConstraint(
                fields=["token"], condition=~Q(token=""), name="waitlist_token_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(hold__isnull=False),
                name="waitlist_offer_has_hold",
            ),
        ]
        indexes = [
            models.Index(fields=["listing", "status", "created_at"], name="waitlist_line"),
            models.Index(fields=["guest", "status"], name="waitlist_guest"),
        ]

    def __str__(self):
        return (
            f"Waitlist #{self.pk}: {self.desks} desk{pluralize(self.desks)} from {self.start}"
            f" for {self.months} month{pluralize(self.months)}"
        )

    def get_absolute_url(self):
        return reverse("waitlist:mine") + f"#entry-{self.pk}"

    @property
    def end(self):
        return add_months(self.start, self.months)

    @property
    def is_open(self):
        return self.status in self.OPEN
