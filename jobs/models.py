from django.db import models


class Effect(models.Model):
    """Something a job did to the outside world (an email sent), under a key that names it
    (the booking event and the recipient, say): a job that runs again finds it here and does
    not do it twice. Written by ``jobs.services.effect_once`` only."""

    key = models.CharField(max_length=200, unique=True)
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-done_at", "-id"]

    def __str__(self):
        return self.key
