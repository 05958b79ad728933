from django.db import models
from django.urls import reverse


class Page(models.Model):
    """A page of the footer (terms, privacy, contact, the cancellation and notice policy).

    The operator writes ``body`` in /admin/ as HTML; it is shown as written (the operator is
    trusted, hosts and guests never edit it).
    """

    class Slug(models.TextChoices):
        TERMS = "terms", "Terms of use"
        PRIVACY = "privacy", "Privacy"
        CONTACT = "contact", "Contact"
        CANCELLATION = "cancellation-and-notice", "Cancellation and notice"

    slug = models.SlugField(max_length=40, unique=True, choices=Slug.choices)
    title = models.CharField(max_length=120)
    body = models.TextField(help_text="HTML: paragraphs, headings (h2), lists and links.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse(f"pages:{self.slug}")
