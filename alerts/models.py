"""Saved searches, the alerts sent for them, and which listings each search already told
its guest about."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from listings.models import Listing

NAME_MAX_LENGTH = 100
QUERY_MAX_LENGTH = 2000


class SavedSearch(models.Model):
    """A guest's search of /spaces/, kept as the search page's own normalized query string
    (``ListingFilter.valid_params``), with how often its alert email goes out."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        OFF = "off", "No email"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    query = models.CharField(
        max_length=QUERY_MAX_LENGTH,
        blank=True,
        help_text="The search's valid filters as /spaces/ writes them (empty: every space).",
    )
    frequency = models.CharField(max_length=6, choices=Frequency.choices, default=Frequency.DAILY)
    checked_period = models.CharField(
        max_length=10,
        blank=True,
        help_text="The last day (YYYY-MM-DD) or week (YYYY-Www) its alert was worked out.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "saved searches"
        constraints = [
            models.UniqueConstraint(fields=["user", "query"], name="savedsearch_once_per_user"),
            models.CheckConstraint(
                condition=Q(frequency__in=["daily", "weekly", "off"]),
                name="savedsearch_frequency_known",
            ),
        ]
        indexes = [models.Index(fields=["frequency", "checked_period"], name="savedsearch_due")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("alerts:edit", kwargs={"pk": self.pk})

    @property
    def search_url(self) -> str:
        """The search page showing this search's results now."""
        path = reverse("listings:search")
        return f"{path}?{self.query}" if self.query else path


class Alert(models.Model):
    """One alert email's worth of news for a saved search in one period: the listings it
    tells about. At most one per saved search and period (running the job twice sends once)."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="alerts")
    period = models.CharField(max_length=10)
    listing_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["saved_search", "period"], name="alert_once_per_period")
        ]

    def __str__(self):
        return f"Alert for “{self.saved_search}” ({self.period})"


class AlertedListing(models.Model):
    """A listing a saved search already told its guest about (or that matched when the search
    was saved). Removed when the listing stops matching, so it is news again if it matches
    again (desks freed, price lowered)."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="alerted")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(
        Alert, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["saved_search", "listing"]
        constraints = [
            models.UniqueConstraint(fields=["saved_search", "listing"], name="alertedlisting_once")
        ]

    def __str__(self):
        return f"Listing #{self.listing_id} for “{self.saved_search_id}”"
