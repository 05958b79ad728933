import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse

TOKEN_BYTES = 32  # 43 URL-safe characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class CalendarFeed(models.Model):
    """A host's secret calendar address: whoever has the URL reads the host's bookings, so
    it is random, shown only to the host, and replaced (the old one then 404s) on request."""

    host = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["host_id"]

    def __str__(self):
        return f"Calendar feed of {self.host}"

    def get_absolute_url(self):
        return reverse("calendars:feed", kwargs={"token": self.token})
