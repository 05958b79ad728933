"""/sitemap.xml: the home and search pages, each city, each published listing."""

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


class ListingSitemap(SiteURLSitemap):
    changefreq = "weekly"
    priority = 0.6
    limit = 5000

    def items(self):
        return selectors.published_sitemap_listings()

    def lastmod(self, listing):
        return listing.updated_at


SITEMAPS = {"pages": PagesSitemap, "cities": CitySitemap, "listings": ListingSitemap}
