"""Titles, descriptions, canonical/OpenGraph/Twitter tags, JSON-LD, robots.txt (the sitemap:
test_sitemaps.py)."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from listings import seo
from listings.models import Photo
from listings.services import photo_create
from listings.tests.factories import ListingFactory, image_upload
from listings.tests.helpers import parse

pytestmark = pytest.mark.django_db

SITE = "https://pivotdesk.example"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def listing():
    listing = ListingFactory(title="Loft desks </script><b>", slug="loft", host__company="Acme")
    photo_create(listing=listing, image=image_upload(), caption="The loft")
    return listing


def test_detail_has_title_description_canonical_opengraph_and_twitter(client, listing):
    page = parse(client.get("/spaces/boulder/loft/?desks=2"))
    hero = listing.photos.get().hero_url
    assert page.canonical == f"{SITE}/spaces/boulder/loft/"
    assert page.meta["og:url"] == page.canonical
    assert page.meta["og:title"].startswith("Loft desks </script><b>")
    assert page.meta["og:image"] == f"{SITE}{hero}"
    assert page.meta["twitter:card"] == "summary_large_image"
    assert page.meta["twitter:image"] == f"{SITE}{hero}"
    assert "Bright desks" in page.meta["description"]
    assert page.meta["og:description"]


def test_detail_json_ld_describes_the_offer_and_cannot_break_out(client, listing):
    html = client.get("/spaces/boulder/loft/").content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    assert "</script><b>" not in blocks[0]  # escaped, so the title cannot close the element
    data = json.loads(blocks[0])
    assert data["@type"] == "Offer"
    assert data["name"] == "Loft desks </script><b>"
    assert data["price"] == "350.00" and data["priceCurrency"] == "USD"
    assert data["url"] == f"{SITE}/spaces/boulder/loft/"
    assert data["itemOffered"]["address"]["addressLocality"] == "Boulder"
    assert data["seller"]["name"] == "Acme"
    assert data["image"][0].startswith(SITE)


def _variants_lost(photo):
    """As a photo is when making its variants failed, or after a bulk import without them."""
    Photo.objects.filter(pk=photo.pk).update(card_jpeg="", card_webp="", hero_jpeg="", hero_webp="")


def test_link_preview_and_gallery_open_with_the_same_photo_never_an_original(client):
    listing = ListingFactory(slug="loft")
    first = photo_create(listing=listing, image=image_upload(), caption="Not ready", position=0)
    _variants_lost(first)
    shown = photo_create(listing=listing, image=image_upload(), caption="The loft", position=1)

    response = client.get("/spaces/boulder/loft/")
    html = response.content.decode()
    page = parse(response)
    assert page.meta["og:image"] == page.meta["twitter:image"] == f"{SITE}{shown.hero_url}"
    assert page.meta["og:image:alt"] == "The loft"
    jsonld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert json.loads(jsonld.group(1))["image"] == [f"{SITE}{shown.hero_url}"]
    gallery_first_img = re.search(r'<section class="gallery".*?<img ([^>]*)>', html, re.S)
    assert f'src="{shown.hero_url}"' in gallery_first_img.group(1)
    assert 'fetchpriority="high"' in gallery_first_img.group(1)  # eager, above the fold
    assert first.image.url not in html and "Not ready" not in html


def test_pages_ship_no_original_when_no_photo_has_variants(client):
    listing = ListingFactory(slug="loft")
    photo = photo_create(listing=listing, image=image_upload(), caption="Not ready")
    _variants_lost(photo)
    for url in ["/spaces/boulder/loft/", "/spaces/boulder/", "/spaces/", "/"]:
        response = client.get(url)
        html = response.content.decode()
        assert photo.image.url not in html, url
        assert "og:image" not in html and "twitter:image" not in html, url


def test_city_page_has_social_tags_with_a_hero_image(client, listing):
    page = parse(client.get("/spaces/boulder/"))
    assert page.canonical == f"{SITE}/spaces/boulder/"
    assert page.meta["og:title"].startswith("Desks and offices in Boulder")
    assert page.meta["og:image"] == f"{SITE}{listing.photos.get().hero_url}"
    assert page.meta["twitter:card"] == "summary_large_image"
    assert page.meta["description"] == "Desks at the foot of the Flatirons."


def test_each_page_has_its_own_title_and_canonical(client, listing):
    titles = set()
    for url, canonical in [
        ("/", f"{SITE}/"),
        ("/spaces/", f"{SITE}/spaces/"),
        ("/spaces/?city=boulder&desks=abc&page=1", f"{SITE}/spaces/?city=boulder"),
        ("/spaces/boulder/", f"{SITE}/spaces/boulder/"),
        ("/spaces/boulder/loft/", f"{SITE}/spaces/boulder/loft/"),
    ]:
        response = client.get(url)
        page = parse(response)
        assert page.canonical == canonical, url
        assert page.meta.get("description"), url
        titles.add(re.search(r"<title>(.*?)</title>", response.content.decode()).group(1))
    assert len(titles) == 5  # every page, and a city search, has its own title


@pytest.mark.parametrize(
    "url, expected",
    [
        ("/media/x/hero.jpg", f"{SITE}/media/x/hero.jpg"),
        (
            "https://bucket.s3.amazonaws.com/x/hero.jpg",
            "https://bucket.s3.amazonaws.com/x/hero.jpg",
        ),
        ("//cdn.example/x.jpg", "https://cdn.example/x.jpg"),
        ("", ""),
    ],
)
def test_absolute_url_prefixes_only_relative_urls(url, expected):
    assert seo.absolute_url(url) == expected


def test_robots_txt_points_to_the_sitemap_index(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert f"Sitemap: {SITE}/sitemap.xml" in body
    assert "Disallow: /admin/" in body and "Disallow: /host/" in body
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    assert ET.fromstring(index.content).tag.endswith("sitemapindex")
