from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import get_script_prefix, get_urlconf, reverse

from pivotdesk.emails import validate_single_line

from .pricing import all_in_amounts, cents_label


class City(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    state = models.CharField(max_length=2, default="CO")
    intro = models.TextField(blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "cities"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("listings:city", kwargs={"city": self.slug})


class Neighborhood(models.Model):
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="neighborhoods")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)

    class Meta:
        ordering = ["city__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["city", "slug"], name="neighborhood_unique_slug_per_city"
            ),
        ]

    def __str__(self):
        return f"{self.name}, {self.city_id and self.city.name}"


class Amenity(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "amenities"

    def __str__(self):
        return self.name


# A host's answer-time badge shows once they had this many requests in the last 90 days.
ANSWER_BADGE_MIN_REQUESTS = 3


class ListingQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Listing.Status.PUBLISHED)

    def in_city(self, city):
        return self.filter(city=city)

    def owned_by(self, user):
        return self.filter(host=user)


@lru_cache(maxsize=20_000)
def _listing_path(urlconf, script_prefix, city_slug: str, slug: str) -> str:
    """A listing page's path, reversed once per process: a search page links each of its
    listings twice (card and map pin), and ``reverse`` was ~3 % of rendering one. Keyed by
    the URLconf and script prefix in force, as ``reverse`` reads them."""
    return reverse("listings:detail", kwargs={"city": city_slug, "slug": slug})


class Listing(models.Model):
    class SpaceType(models.TextChoices):
        HOT_DESK = "hot_desk", "Hot desk"
        DEDICATED_DESK = "dedicated_desk", "Dedicated desk"
        PRIVATE_OFFICE = "private_office", "Private office"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="listings"
    )
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="listings")
    neighborhood = models.ForeignKey(
        Neighborhood, on_delete=models.PROTECT, related_name="listings"
    )
    # Becomes part of email subjects: one line, no control characters.
    title = models.CharField(max_length=120, validators=[validate_single_line])
    slug = models.SlugField(max_length=140)
    description = models.TextField()
    address = models.CharField(max_length=200)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    space_type = models.CharField(max_length=20, choices=SpaceType.choices)
    desks = models.PositiveIntegerField(help_text="How many desks you offer (capacity).")
    price_per_desk = models.DecimalField(
        max_digits=8, decimal_places=2, help_text="USD per desk per month."
    )
    min_term_months = models.PositiveSmallIntegerField(default=1)
    deposit_months = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(2)],
        help_text="Deposit in months of rent (0, 1 or 2), refunded after the booking ends.",
    )
    available_from = models.DateField()
    instant_book = models.BooleanField(
        default=False, help_text="Approve requests that fit at once, without waiting for you."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    amenities = models.ManyToManyField(Amenity, blank=True, related_name="listings")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Full-text document (title A, neighborhood and amenities B, description C). Written by
    # Postgres triggers (migration 0002), so admin edits, bulk inserts and renames of a
    # neighborhood or amenity keep it current; always NULL on SQLite (icontains fallback).
    search_vector = SearchVectorField(null=True, editable=False)
    # Kept by listings.services: the sum of the required monthly extras (the all-in cost's
    # fixed part, listings.pricing), the guests' review average and count, and how fast the
    # host answers requests. On the row so cards and search sort and filter without joins.
    extras_required_cents = models.PositiveIntegerField(default=0, editable=False)
    rating_average = models.DecimalField(
        max_digits=3, decimal_places=2, null=True, blank=True, editable=False
    )
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    answer_requests = models.PositiveIntegerField(
        default=0, editable=False, help_text="Requests to this host in the last 90 days."
    )
    answer_median_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    answer_share_percent = models.PositiveSmallIntegerField(default=0, editable=False)
    # listings.pricing's all-in amounts for one desk asked (a search without a team size, a
    # listing page reached from a card), computed by the database when the row is written:
    # with_all_in selects these instead of compiling the rule for every query.
    _one_desk = all_in_amounts(asked=1, private_office=SpaceType.PRIVATE_OFFICE, inline=True)
    one_desk_all_in_desks = models.GeneratedField(
        expression=_one_desk["all_in_desks"], output_field=models.IntegerField(), db_persist=True
    )
    one_desk_rent_cents = models.GeneratedField(
        expression=_one_desk["rent_cents"], output_field=models.IntegerField(), db_persist=True
    )
    one_desk_all_in_cents = models.GeneratedField(
        expression=_one_desk["all_in_cents"], output_field=models.IntegerField(), db_persist=True
    )
    one_desk_deposit_cents = models.GeneratedField(
        expression=_one_desk["deposit_cents"], output_field=models.IntegerField(), db_persist=True
    )
    one_desk_move_in_cents = models.GeneratedField(
        expression=_one_desk["move_in_cents"], output_field=models.IntegerField(), db_persist=True
    )
    del _one_desk

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["city", "slug"], name="listing_unique_slug_per_city"),
            models.CheckConstraint(condition=Q(desks__gt=0), name="listing_desks_positive"),
            models.CheckConstraint(
                condition=Q(price_per_desk__gt=0), name="listing_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(min_term_months__gt=0), name="listing_min_term_positive"
            ),
            models.CheckConstraint(
                condition=Q(deposit_months__lte=2), name="listing_deposit_at_most_two_months"
            ),
            models.CheckConstraint(
                condition=Q(rating_average__isnull=True)
                | Q(rating_average__gte=1, rating_average__lte=5),
                name="listing_rating_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "city", "price_per_desk"], name="listing_city_price"),
            models.Index(fields=["status", "price_per_desk"], name="listing_price"),
            models.Index(fields=["status", "space_type"], name="listing_type"),
            models.Index(fields=["status", "desks"], name="listing_desks"),
            models.Index(fields=["status", "available_from"], name="listing_available"),
            models.Index(fields=["status", "-created_at"], name="listing_newest"),
            GinIndex(fields=["search_vector"], name="listing_search"),
            models.Index(fields=["status", "rating_average"], name="listing_rating"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        # city.slug would cost a query per listing; selectors select_related("city").
        return _listing_path(get_urlconf(), get_script_prefix(), self.city.slug, self.slug)

    @property
    def price_label(self) -> str:
        """The monthly price per desk in whole dollars with thousands separators ("1,250"),
        rounded half up like the ``floatformat`` filter (format() alone rounds half even)."""
        return f"{self.price_per_desk.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"

    @property
    def whole_price_label(self) -> str:
        """The monthly price of all the desks ("4,500"): a private office's price."""
        whole = self.price_per_desk * self.desks
        return f"{whole.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"

    @property
    def answer_badge(self) -> str:
        """ "Usually answers within 4 hours", once the host had ANSWER_BADGE_MIN_REQUESTS
        requests in the last 90 days (``answer_*``, kept by bookings.answers); else ""."""
        minutes = self.answer_median_minutes
        if self.answer_requests < ANSWER_BADGE_MIN_REQUESTS or minutes is None:
            return ""
        if minutes <= 60:
            within = "an hour"
        elif minutes <= 23 * 60:
            hours = -(-minutes // 60)  # rounded up: "within" must hold
            within = f"{hours} hours"
        elif minutes <= 24 * 60:
            within = "a day"
        else:
            days = -(-minutes // (24 * 60))
            within = f"{days} days"
        return f"Usually answers within {within}"

    @property
    def is_let_whole(self):
        """A private office is let as a whole: one team takes all its desks."""
        return self.space_type == self.SpaceType.PRIVATE_OFFICE

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED


class ListingExtra(models.Model):
    """A monthly extra a host offers with a listing (parking, a mailbox...). A required one
    is part of the all-in monthly cost every guest pays (listings.pricing)."""

    class Kind(models.TextChoices):
        PARKING = "parking", "Parking"
        MAILBOX = "mailbox", "Mailbox"
        LOCKER = "locker", "Locker"
        MEETING_ROOM_CREDIT = "meeting_room_credit", "Meeting-room credit"

    MAX_PRICE_CENTS = 500_000  # $5,000 a month: above that it is a typo, not an extra

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="extras")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    required = models.BooleanField(
        default=False, help_text="Every guest pays it (part of the all-in monthly cost)."
    )
    price_cents = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PRICE_CENTS)],
        help_text="Per month, in cents (USD): 7500 is $75.00.",
    )

    class Meta:
        # listing_id, not listing: "listing" would join listings to sort by their ordering.
        ordering = ["listing_id", "-required", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "kind"], name="listing_extra_once"),
            models.CheckConstraint(
                condition=Q(price_cents__gt=0, price_cents__lte=500_000),
                name="listing_extra_price_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} (${cents_label(self.price_cents)}/month)"

    @property
    def price_label(self) -> str:
        return cents_label(self.price_cents)


def photo_upload_to(instance, filename):
    return f"listings/{instance.listing_id or 'new'}/{filename}"


class Photo(models.Model):
    """A listing photo. Resized variants are made once, at upload (listings.services)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    caption = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Variants: names in the default storage, written once by listings.services.photo_create.
    card_jpeg = models.CharField(max_length=255, blank=True, editable=False)
    card_webp = models.CharField(max_length=255, blank=True, editable=False)
    card_width = models.PositiveIntegerField(default=0, editable=False)
    card_height = models.PositiveIntegerField(default=0, editable=False)
    hero_jpeg = models.CharField(max_length=255, blank=True, editable=False)
    hero_webp = models.CharField(max_length=255, blank=True, editable=False)
    hero_width = models.PositiveIntegerField(default=0, editable=False)
    hero_height = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["listing_id", "position", "id"]
        indexes = [models.Index(fields=["listing", "position"], name="photo_listing_position")]

    def __str__(self):
        return self.caption or f"Photo {self.pk} of {self.listing_id}"

    @property
    def alt_text(self):
        return self.caption or "Photo of the space"

    @property
    def has_variants(self) -> bool:
        """Whether the resized variants exist: only such a photo may appear on a public page."""
        return bool(self.card_jpeg and self.card_webp and self.hero_jpeg and self.hero_webp)

    def _url(self, name):
        """The URL of a variant, or "" without one: never the original upload, which can be
        many megabytes and is not meant for public pages (see ``has_variants``)."""
        from django.core.files.storage import default_storage

        return default_storage.url(name) if name else ""

    @property
    def card_url(self):
        return self._url(self.card_jpeg)

    @property
    def card_webp_url(self):
        return self._url(self.card_webp)

    @property
    def hero_url(self):
        return self._url(self.hero_jpeg)

    @property
    def hero_webp_url(self):
        return self._url(self.hero_webp)
