"""The sitemap: /sitemap.xml is an index of sections, each at /sitemap-<section>.xml (pages,
cities, listings), paginated with ?p=2, 3... so every published listing is listed however
many there are. Index and sections are cacheable by the page cache (pivotdesk.pagecache)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.urls import reverse

from . import selectors
from .models import City, Listing


class SiteURLSitemap(Sitemap):
    """Locations on SITE_URL (the public address), not on whatever Host the request had."""

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"


class PagesSitemap(SiteURLSitemap):
    changefreq = "daily"

    def items(self):
        return ["listings:home", "listings:search"]

    def location(self, item):
        return reverse(item)


class CitySitemap(SiteURLSitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return City.objects.annotate(
            last_listing_change=Max(
                "listings__updated_at",
                filter=Q(listings__status=Listing.Status.PUBLISHED),
            )
        ).order_by("slug")

    def lastmod(self, city):
        return city.last_listing_change

    def get_latest_lastmod(self):
        # The index asks each section for its latest change; Django's default would
        # compute every item's lastmod. A city changes when a published listing does.
        return _latest_published_change()


class ListingSitemap(SiteURLSitemap):
    changefreq = "weekly"
    priority = 0.6
    # A section page must stay under the page cache's 1 MB (PAGE_CACHE_MAX_BYTES), or every
    # crawl of it renders in Django. An entry is ~110 bytes of XML plus its URL, ~400 bytes
    # with the longest slugs (city 80, listing 140) and a long SITE_URL: 2,000 entries are
    # ~0.8 MB at worst (listings/tests/test_sitemaps.py measures it), 5,000 were ~2 MB.
    limit = 2000

    def items(self):
        return selectors.published_sitemap_listings()

    def lastmod(self, listing):
        return listing.updated_at

    def get_latest_lastmod(self):
        # One aggregate instead of Django's default: every listing's lastmod, in Python.
        return _latest_published_change()


def _latest_published_change():
    return Listing.objects.published().aggregate(latest=Max("updated_at"))["latest"]


SITEMAPS = {"pages": PagesSitemap, "cities": CitySitemap, "listings": ListingSitemap}
