"""The host admin at /host/: each host sees and changes only their own listings and photos."""

import io
import random
import struct
import zlib
from urllib.parse import parse_qs

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from listings.admin import LISTING_PIN_HALF, LISTING_PIN_HELP
from listings.models import Listing, Photo
from listings.services import IMAGE_TOO_BIG, IMAGE_TOO_MANY_PIXELS, NOT_AN_IMAGE, photo_create
from listings.tests.factories import ListingFactory, NeighborhoodFactory, image_upload

pytestmark = pytest.mark.django_db

CHANGELIST = "/host/listings/listing/"
ADD = "/host/listings/listing/add/"
DOES_NOT_EXIST = "doesn’t exist"


def _change_url(listing):
    return f"/host/listings/listing/{listing.pk}/change/"


def _listing_data(hood, photos=(), **overrides):
    """The listing change form as the browser posts it, with ``photos`` as inline rows."""
    data = {
        "title": "Quiet desks by the creek",
        "slug": "quiet-desks-by-the-creek",
        "status": Listing.Status.PUBLISHED,
        "space_type": Listing.SpaceType.HOT_DESK,
        "description": "Six desks, a kettle and a view of the creek.",
        "city": hood.city_id,
        "neighborhood": hood.pk,
        "address": "1200 Pearl St, Boulder, CO",
        "latitude": "40.017600",
        "longitude": "-105.279700",
        "desks": "6",
        "price_per_desk": "275.00",
        "min_term_months": "1",
        "deposit_months": "0",
        "available_from": "2026-12-01",
        "photos-TOTAL_FORMS": str(len(photos)),
        "photos-INITIAL_FORMS": str(sum(1 for p in photos if p.get("id"))),
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
    }
    for i, photo in enumerate(photos):
        for key, value in photo.items():
            data[f"photos-{i}-{key}"] = value
    data.update(overrides)
    return data


def _existing(listing):
    data = _listing_data(listing.neighborhood)
    data.update(title=listing.title, slug=listing.slug, city=listing.city_id)
    return data


@pytest.fixture
def as_a(client, host_a):
    client.force_login(host_a)
    return client


# --- isolation ------------------------------------------------------------------------


def test_changelist_shows_only_my_listings(as_a, listing_a, listing_b):
    html = as_a.get(CHANGELIST).content.decode()
    assert listing_a.title.replace("'", "&#x27;") in html
    assert "Ben" not in html
    # A filter or search naming the other host changes nothing.
    for query in (f"?host__id__exact={listing_b.host_id}", f"?host={listing_b.host_id}", "?q=Ben"):
        response = as_a.get(CHANGELIST + query)
        assert response.status_code in (200, 302, 400)
        assert "secret garage" not in response.content.decode()


@pytest.mark.parametrize("suffix", ["change/", "history/", "delete/", ""])
def test_another_hosts_listing_does_not_exist_for_me(as_a, listing_a, listing_b, suffix):
    response = as_a.get(f"/host/listings/listing/{listing_b.pk}/{suffix}", follow=True)
    html = response.content.decode()
    assert response.status_code == 200  # the admin index, after a redirect
    assert response.redirect_chain and response.redirect_chain[-1][0] == "/host/"
    assert DOES_NOT_EXIST in html
    assert "secret garage" not in html


def test_another_hosts_listing_cannot_be_changed_by_post(as_a, listing_b):
    data = _existing(listing_b)
    data["title"] = "Hijacked"
    response = as_a.post(_change_url(listing_b), data)
    assert response.status_code == 302
    listing_b.refresh_from_db()
    assert listing_b.title == "Ben's secret garage"


def test_another_hosts_listing_cannot_be_deleted(as_a, listing_a, listing_b):
    response = as_a.post(f"/host/listings/listing/{listing_b.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Listing.objects.filter(pk=listing_b.pk).exists()
    # Deleting is off for hosts altogether (they archive), also for their own listing.
    response = as_a.post(f"/host/listings/listing/{listing_a.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Listing.objects.filter(pk=listing_a.pk).exists()


def test_bulk_actions_with_forged_ids_touch_only_my_listings(as_a, listing_a, listing_b):
    response = as_a.post(
        CHANGELIST,
        {"action": "archive_listings", "_selected_action": [listing_a.pk, listing_b.pk]},
    )
    assert response.status_code == 302  # to the question, with only my listing in it
    assert response["Location"].endswith(f"?ids={listing_a.pk}")
    # Confirming with a forged id next to mine archives only mine.
    confirm = response["Location"].split("?")[0]
    as_a.post(confirm, {"ids": f"{listing_a.pk},{listing_b.pk}"})
    listing_a.refresh_from_db()
    listing_b.refresh_from_db()
    assert listing_a.status == Listing.Status.ARCHIVED
    assert listing_b.status == Listing.Status.PUBLISHED

    # Select-across archives "all" — all of mine.
    listing_a.status = Listing.Status.PUBLISHED
    listing_a.save()
    response = as_a.post(
        CHANGELIST,
        {"action": "archive_listings", "select_across": "1", "_selected_action": [listing_b.pk]},
    )
    url, query = response["Location"].split("?")
    as_a.post(url, {"ids": parse_qs(query)["ids"][0]})  # select-across: all of mine
    listing_b.refresh_from_db()
    assert listing_b.status == Listing.Status.PUBLISHED

    for selected in ([listing_b.pk], [listing_a.pk, listing_b.pk]):
        as_a.post(
            CHANGELIST,
            {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
        )
    assert Listing.objects.filter(pk__in=[listing_a.pk, listing_b.pk]).count() == 2


@pytest.mark.parametrize(
    "params",
    [
        {"app_label": "listings", "model_name": "listing", "field_name": "neighborhood"},
        {"app_label": "listings", "model_name": "listing", "field_name": "host"},
        {"app_label": "accounts", "model_name": "user", "field_name": "groups"},
        {"app_label": "nope", "model_name": "nope", "field_name": "nope"},
    ],
)
def test_autocomplete_leaks_nothing(as_a, listing_b, photo_b, params):
    response = as_a.get("/host/autocomplete/", {**params, "term": "Ben"})
    assert response.status_code in (403, 404)
    body = response.content.decode()
    assert "secret garage" not in body and "ben@hosts.test" not in body


@pytest.mark.parametrize(
    "params",
    [
        {"app_label": "listings", "model_name": "photo", "field_name": "listing"},
        {"app_label": "bookings", "model_name": "booking", "field_name": "listing"},
    ],
)
def test_autocomplete_of_listings_searches_only_mine(as_a, listing_a, listing_b, params):
    # Any foreign key to Listing (a photo's, a booking's) autocompletes through the host's
    # own queryset.
    everything = as_a.get("/host/autocomplete/", params).json()
    assert [r["text"] for r in everything["results"]] == [listing_a.title]
    assert as_a.get("/host/autocomplete/", {**params, "term": "Ben"}).json()["results"] == []


def test_raw_id_lookup_popup_lists_only_mine(as_a, listing_a, listing_b):
    response = as_a.get(CHANGELIST, {"_popup": "1", "_to_field": "id"})
    assert response.status_code == 200
    assert "secret garage" not in response.content.decode()
    # Another column as the lookup key is refused outright.
    assert as_a.get(CHANGELIST, {"_popup": "1", "_to_field": "host"}).status_code == 400


def test_photos_have_no_url_of_their_own_on_host(as_a, photo_b):
    for url in (
        f"/host/listings/photo/{photo_b.pk}/change/",
        f"/host/listings/photo/{photo_b.pk}/delete/",
        "/host/listings/photo/",
    ):
        assert as_a.get(url).status_code == 404


def test_another_hosts_photo_cannot_be_moved_or_edited_through_my_inline(as_a, listing_a, photo_b):
    data = _existing(listing_a)
    data.update(
        {
            "photos-TOTAL_FORMS": "1",
            "photos-INITIAL_FORMS": "1",
            "photos-0-id": str(photo_b.pk),
            "photos-0-listing": str(listing_a.pk),
            "photos-0-caption": "Mine now",
            "photos-0-position": "0",
        }
    )
    response = as_a.post(_change_url(listing_a), data)
    assert response.status_code == 200  # the form comes back with an error
    photo_b.refresh_from_db()
    assert (photo_b.listing_id, photo_b.caption) == (photo_b.listing.pk, "Ben's desk row")
    assert photo_b.listing.host.email == "ben@hosts.test"

    data["photos-0-DELETE"] = "on"
    as_a.post(_change_url(listing_a), data)
    assert Photo.objects.filter(pk=photo_b.pk).exists()


def test_view_on_site_resolves_only_my_listings(as_a, listing_a, listing_b):
    ct = ContentType.objects.get_for_model(Listing)
    mine = as_a.get(f"/host/r/{ct.pk}/{listing_a.pk}/")
    assert mine.status_code == 302 and mine["Location"] == listing_a.get_absolute_url()
    assert as_a.get(f"/host/r/{ct.pk}/{listing_b.pk}/").status_code == 404
    assert as_a.get(f"/host/r/{ct.pk}/not-a-number/").status_code == 404
    assert as_a.get(f"/host/r/999999/{listing_b.pk}/").status_code == 404


# --- adding and editing my own listings -----------------------------------------------


def test_host_field_comes_from_the_request_not_the_form(as_a, host_a, host_b, hood):
    form = as_a.get("/host/listings/listing/add/").content.decode()
    assert 'name="host"' not in form
    response = as_a.post("/host/listings/listing/add/", _listing_data(hood, host=host_b.pk))
    assert response.status_code == 302
    listing = Listing.objects.get(slug="quiet-desks-by-the-creek")
    assert listing.host == host_a


def test_editing_my_listing_cannot_hand_it_to_another_host(as_a, host_a, host_b, listing_a):
    data = _existing(listing_a)
    data.update(title="Renamed loft", host=str(host_b.pk))
    assert as_a.post(_change_url(listing_a), data).status_code == 302
    listing_a.refresh_from_db()
    assert (listing_a.title, listing_a.host) == ("Renamed loft", host_a)


def test_neighborhood_must_be_in_the_city(as_a, hood):
    denver_hood = NeighborhoodFactory(
        city__name="Denver", city__slug="denver", name="RiNo", slug="rino"
    )
    response = as_a.post(
        "/host/listings/listing/add/", _listing_data(denver_hood, city=hood.city_id)
    )
    assert response.status_code == 200
    assert "Pick a neighborhood in Boulder." in response.content.decode()
    assert not Listing.objects.exists()


def test_a_listing_without_coordinates_is_pinned_at_its_neighborhood(as_a, hood):
    form = as_a.get("/host/listings/listing/add/").content.decode()
    assert LISTING_PIN_HELP in form
    # Without JavaScript the map and its hint stay hidden: the two inputs are the whole field.
    assert 'hidden data-pin-picker data-tile-url="' in form
    assert "hidden data-pin-picker-hint>" in form
    assert f'data-centres="{{&quot;{hood.pk}&quot;: [' in form
    response = as_a.post(ADD, _listing_data(hood, latitude="", longitude=""))
    assert response.status_code == 302
    listing = Listing.objects.get()
    assert (listing.latitude, listing.longitude) == (hood.latitude, hood.longitude)


@pytest.mark.parametrize(
    ("coordinates", "field", "message"),
    [
        ({"latitude": "40.0176", "longitude": ""}, "longitude", LISTING_PIN_HALF),
        ({"latitude": "", "longitude": "-105.2797"}, "latitude", LISTING_PIN_HALF),
        # The usual slip: a west longitude without its minus sign (a pin in western China).
        ({"latitude": "40.0176", "longitude": "105.2797"}, "latitude", "far from"),
        ({"latitude": "4.0176", "longitude": "-105.2797"}, "latitude", "far from"),
        ({"latitude": "north", "longitude": "-105.2797"}, "latitude", "Enter a number."),
        ({"latitude": "1e400", "longitude": "-105.2797"}, "latitude", "no more than 9 digits"),
    ],
)
def test_a_pin_that_cannot_be_right_gets_a_form_error(as_a, hood, coordinates, field, message):
    response = as_a.post(ADD, _listing_data(hood, **coordinates))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field]), errors
    assert not Listing.objects.exists()


def test_archive_is_a_status_and_an_action(as_a, listing_a):
    html = as_a.get(CHANGELIST).content.decode()
    assert 'value="archive_listings"' in html
    assert 'value="delete_selected"' not in html
    data = _existing(listing_a)
    data["status"] = Listing.Status.ARCHIVED
    as_a.post(_change_url(listing_a), data)
    listing_a.refresh_from_db()
    assert listing_a.status == Listing.Status.ARCHIVED


def test_photo_upload_makes_variants_and_shows_a_preview(as_a, listing_a):
    data = _existing(listing_a)
    data.update(
        {
            "photos-TOTAL_FORMS": "1",
            "photos-0-image": image_upload(size=(1800, 1200)),
            "photos-0-caption": "Window desks",
            "photos-0-position": "2",
        }
    )
    response = as_a.post(_change_url(listing_a), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    photo = listing_a.photos.get()
    assert photo.caption == "Window desks" and photo.position == 2
    assert photo.card_jpeg and photo.card_webp and photo.hero_jpeg and photo.hero_webp
    assert photo.card_width == 640

    page = as_a.get(_change_url(listing_a)).content.decode()
    assert f'src="{photo.card_url}"' in page and 'alt="Window desks"' in page
    assert "accounts/photo-preview.js" in page


def _big_png(width, height):
    """A real PNG whose pixels compress to almost nothing: a decompression bomb."""

    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + 1-bit pixels
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _noisy_png(side=1100):
    buf = io.BytesIO()
    Image.frombytes("L", (side, side), random.Random(4).randbytes(side * side)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("desk.jpg", b"GIF? no: text", "image/jpeg"), NOT_AN_IMAGE),
        (
            lambda: SimpleUploadedFile("desk.png", b"%PDF-1.4 pretending", "image/png"),
            NOT_AN_IMAGE,
        ),
        (
            lambda: SimpleUploadedFile("bomb.png", _big_png(12_000, 12_000), "image/png"),
            IMAGE_TOO_MANY_PIXELS.split("(")[0],
        ),
        (
            lambda: SimpleUploadedFile("huge.png", _noisy_png(), "image/png"),
            IMAGE_TOO_BIG.format(mb=1),
        ),
    ],
    ids=["text-as-jpeg", "pdf-as-png", "decompression-bomb", "too-big"],
)
def test_bad_uploads_get_a_form_error(as_a, listing_a, settings, upload, message):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024  # the noisy PNG is 1.2 MB; the others are tiny
    data = _existing(listing_a)
    file = upload()
    assert file.size < 2 * 1024 * 1024
    data.update({"photos-TOTAL_FORMS": "1", "photos-0-image": file, "photos-0-caption": "x"})
    response = as_a.post(_change_url(listing_a), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not listing_a.photos.exists()


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_host_pages_cost_the_same_queries_for_more_listings_and_photos(as_a, host_a, hood):
    listing = ListingFactory(host=host_a, neighborhood=hood)
    ListingFactory(host=host_a, neighborhood=hood)
    photo_create(listing=listing, image=image_upload(size=(120, 80)))
    few = (_queries(as_a, CHANGELIST), _queries(as_a, _change_url(listing)))

    ListingFactory.create_batch(6, host=host_a, neighborhood=hood)
    for _ in range(3):
        photo_create(listing=listing, image=image_upload(size=(120, 80)))
    many = (_queries(as_a, CHANGELIST), _queries(as_a, _change_url(listing)))

    assert many == few
