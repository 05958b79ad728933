"""Test helpers for the listings pages: HTML checks and bulk data for query-count tests."""

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser

from django.utils import timezone

from accounts.tests.factories import HostFactory
from listings.models import Amenity, City, Listing, Neighborhood, Photo
from pivotdesk.pagecache import content_version_bump


class PageParser(HTMLParser):
    """Collects what the accessibility and no-inline-script checks need."""

    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.label_for = set()
        self.controls = []  # (tag, attrs) of inputs/selects/textareas a person fills in
        self.scripts = []  # attrs of every <script>
        self.links = []  # href of every <a>
        self.meta = {}  # name/property -> content
        self.canonical = None
        self.landmarks = set()
        self.forms = []  # attrs of every <form>

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        elif tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if attrs.get("type") not in ("hidden", "submit", "button"):
                self.controls.append((tag, attrs))
        elif tag == "script":
            self.scripts.append(attrs)
        elif tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        elif tag == "meta":
            key = attrs.get("name") or attrs.get("property")
            if key:
                self.meta[key] = attrs.get("content")
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical = attrs.get("href")
        elif tag == "form":
            self.forms.append(attrs)
        if tag in ("main", "header", "footer", "nav"):
            self.landmarks.add(tag)


def parse(response) -> PageParser:
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


def unlabelled_controls(page: PageParser) -> list[dict]:
    return [attrs for _, attrs in page.controls if attrs.get("id") not in page.label_for]


def inline_scripts(page: PageParser) -> list[dict]:
    """Scripts a browser would execute that are not loaded from a file."""
    data_types = {"application/json", "application/ld+json"}
    return [s for s in page.scripts if not s.get("src") and s.get("type") not in data_types]


def listing_links(page: PageParser) -> list[str]:
    return [h for h in page.links if re.fullmatch(r"/spaces/[\w-]+/[\w-]+/(\?.*)?", h)]


def bulk_listings(n: int, *, start: int = 0) -> None:
    """``n`` published listings in two cities with amenities and a photo each, quickly.

    Photos get variant names without files: pages only build URLs from them. Bumps the
    content version, as seed_demo does after its bulk inserts.
    """
    host = HostFactory(name="Bulk Host", company="Bulk Co")
    boulder, _ = City.objects.get_or_create(
        slug="boulder",
        defaults={
            "name": "Boulder",
            "latitude": Decimal("40.015"),
            "longitude": Decimal("-105.27"),
        },
    )
    denver, _ = City.objects.get_or_create(
        slug="denver",
        defaults={"name": "Denver", "latitude": Decimal("39.74"), "longitude": Decimal("-104.99")},
    )
    hoods = [
        Neighborhood.objects.get_or_create(
            city=city,
            slug=slug,
            defaults={"name": name, "latitude": city.latitude, "longitude": city.longitude},
        )[0]
        for city, name, slug in [
            (boulder, "Pearl Street", "pearl-street"),
            (boulder, "NoBo", "nobo"),
            (denver, "LoDo", "lodo"),
            (denver, "RiNo", "rino"),
        ]
    ]
    amenities = [
        Amenity.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for name, slug in [("Fast Wi-Fi", "wifi"), ("Coffee", "coffee"), ("Parking", "parking")]
    ]
    types = list(Listing.SpaceType.values)
    today = timezone.localdate()
    listings = Listing.objects.bulk_create(
        [
            Listing(
                host=host,
                city=hoods[i % 4].city,
                neighborhood=hoods[i % 4],
                title=f"Bright team desks {i}",
                slug=f"bright-team-desks-{i}",
                description="Sunny desks with good coffee near the bike path.",
                address=f"{100 + i} Main St",
                latitude=Decimal("39.9"),
                longitude=Decimal("-105.1"),
                space_type=types[i % 3],
                desks=1 + i % 12,
                price_per_desk=Decimal(150 + (i % 20) * 25),
                available_from=today + datetime.timedelta(days=i % 60),
                status=Listing.Status.PUBLISHED,
            )
            for i in range(start, start + n)
        ]
    )
    through = Listing.amenities.through
    through.objects.bulk_create(
        [
            through(listing_id=listing.pk, amenity_id=amenity.pk)
            for listing in listings
            for amenity in amenities[: 1 + listing.pk % 3]
        ]
    )
    Photo.objects.bulk_create(
        [
            Photo(
                listing=listing,
                image=f"listings/{listing.pk}/original.jpg",
                width=2000,
                height=1333,
                card_jpeg=f"listings/{listing.pk}/v/c-card.jpg",
                card_webp=f"listings/{listing.pk}/v/c-card.webp",
                card_width=640,
                card_height=427,
                hero_jpeg=f"listings/{listing.pk}/v/h-hero.jpg",
                hero_webp=f"listings/{listing.pk}/v/h-hero.webp",
                hero_width=1600,
                hero_height=1067,
                position=position,
            )
            for listing in listings
            for position in range(2)
        ]
    )
    # bulk_create sends no signals: as seed_demo does, retire what was cached before.
    content_version_bump()


def listing_change_form(listing, **overrides) -> dict[str, str]:
    """The listing change form of /host/ or /admin/ as the browser posts it, no photos."""
    data = {
        "title": listing.title,
        "slug": listing.slug,
        "status": listing.status,
        "space_type": listing.space_type,
        "description": listing.description,
        "city": listing.city_id,
        "neighborhood": listing.neighborhood_id,
        "address": listing.address,
        "latitude": str(listing.latitude),
        "longitude": str(listing.longitude),
        "desks": str(listing.desks),
        "price_per_desk": str(listing.price_per_desk),
        "min_term_months": str(listing.min_term_months),
        "deposit_months": str(listing.deposit_months),
        "available_from": listing.available_from.isoformat(),
        "photos-TOTAL_FORMS": "0",
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data
