"""/sitemap.xml: an index of sections (/sitemap-<section>.xml, paginated with ?p=2...) that
together list the home and search pages, every city and every published listing."""

import xml.etree.ElementTree as ET
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from accounts.tests.factories import HostFactory
from listings.models import City, Listing, Neighborhood
from listings.sitemaps import ListingSitemap
from listings.tests.factories import CityFactory, ListingFactory
from pivotdesk.pagecache import storable

pytestmark = pytest.mark.django_db

SITE = "https://pivotdesk.example"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def _path(url):
    """What a crawler requests for a location in the index: its path and query."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _index(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == f"{{{NS['s']}}}sitemapindex"
    return [_path(loc.text) for loc in root.findall("s:sitemap/s:loc", NS)]


def _entries(response):
    assert response.status_code == 200, response.content[:300]
    root = ET.fromstring(response.content)
    return {
        url.find("s:loc", NS).text: getattr(url.find("s:lastmod", NS), "text", None)
        for url in root.findall("s:url", NS)
    }


def _crawl(client):
    """Every location a search engine finds by following the index: {loc: lastmod}."""
    entries = {}
    for path in _index(client):
        entries.update(_entries(client.get(path)))
    return entries


def test_sitemap_lists_cities_and_published_listings_with_lastmod(client):
    listing = ListingFactory(slug="loft")
    CityFactory(name="Denver")
    ListingFactory(slug="secret-draft", status=Listing.Status.DRAFT)
    entries = _crawl(client)
    assert f"{SITE}/" in entries and f"{SITE}/spaces/" in entries
    assert f"{SITE}/spaces/boulder/" in entries and f"{SITE}/spaces/denver/" in entries
    # The day in the site's time zone (Denver), as the sitemap writes it: from 00:00 to
    # 07:00 UTC that is the day before UTC's.
    changed = timezone.localdate(listing.updated_at).isoformat()
    assert entries[f"{SITE}/spaces/boulder/loft/"] == changed
    assert entries[f"{SITE}/spaces/boulder/"] == changed
    assert not any("secret-draft" in loc for loc in entries)


def test_index_links_every_page_of_listings_so_all_published_are_listed(client, monkeypatch):
    monkeypatch.setattr(ListingSitemap, "limit", 3)
    published = {ListingFactory(slug=f"space-{i}").slug for i in range(7)}
    ListingFactory(slug="secret-draft", status=Listing.Status.DRAFT)

    index = _index(client)
    assert [p for p in index if p.startswith("/sitemap-listings.xml")] == [
        "/sitemap-listings.xml",
        "/sitemap-listings.xml?p=2",
        "/sitemap-listings.xml?p=3",
    ]
    pages = [_entries(client.get(p)) for p in index if p.startswith("/sitemap-listings.xml")]
    assert [len(page) for page in pages] == [3, 3, 1]
    listed = {loc.rstrip("/").rsplit("/", 1)[1] for page in pages for loc in page}
    assert listed == published


@pytest.mark.parametrize(
    "path", ["/sitemap-listings.xml?p=9", "/sitemap-listings.xml?p=abc", "/sitemap-nope.xml"]
)
def test_a_page_or_section_that_does_not_exist_is_404(client, path):
    ListingFactory()
    assert client.get(path).status_code == 404


def test_index_and_sections_are_shared_by_caches(client):
    """The page cache and a CDN keep them: a crawl of 10,000 listings must not render each
    section page in Django every time."""
    ListingFactory()
    for path in ["/sitemap.xml", *_index(client)]:
        response = client.get(path)
        assert response["Cache-Control"].startswith("public"), path
        assert storable({"REQUEST_METHOD": "GET"}, "200 OK", response.items(), response.content)


def test_a_full_page_of_the_longest_listing_urls_fits_in_the_page_cache(client, settings):
    """A section page at ListingSitemap.limit entries, with slugs at their maximum length and
    a long SITE_URL, stays under the page cache's body limit (PAGE_CACHE_MAX_BYTES)."""
    settings.SITE_URL = "https://www.flexible-desks-in-boulder-and-denver.pivotdesk.example"
    city = City.objects.create(
        name="Long", slug="c" * 80, latitude=Decimal("40"), longitude=Decimal("-105")
    )
    hood = Neighborhood.objects.create(
        city=city, name="Hood", slug="hood", latitude=Decimal("40"), longitude=Decimal("-105")
    )
    host = HostFactory()
    template = ListingFactory.build(host=host, city=city, neighborhood=hood)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Listing._meta.concrete_fields
        if not f.primary_key and not f.generated and f.attname not in ("slug", "search_vector")
    }
    Listing.objects.bulk_create(
        [Listing(**fields, slug=f"{'s' * 135}-{i:04d}") for i in range(ListingSitemap.limit + 1)]
    )

    response = client.get("/sitemap-listings.xml")
    assert len(_entries(response)) == ListingSitemap.limit
    assert len(response.content) < 900_000  # well under 1 MB, with room for a longer domain
    assert storable({"REQUEST_METHOD": "GET"}, "200 OK", response.items(), response.content)
    assert len(_entries(client.get("/sitemap-listings.xml?p=2"))) == 1
