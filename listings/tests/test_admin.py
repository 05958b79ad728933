"""The listing admin of /host/ and /admin/: every write through listings.services."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.services import host_enable
from accounts.tests.factories import UserFactory
from listings.models import Listing, Photo

from .factories import CityFactory, ListingFactory, NeighborhoodFactory, image_upload
from .helpers import listing_change_form as _form


def _as(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_neighborhood_slug_is_unique_across_cities_too(client):
    """Search takes ?neighborhood=<slug> with or without a city: one slug, one place."""
    boulder = NeighborhoodFactory(city__name="Boulder", city__slug="boulder", slug="downtown")
    denver = CityFactory(name="Denver", slug="denver")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    data = {"city": denver.pk, "name": "Downtown", "latitude": "39.7", "longitude": "-104.99"}

    response = client.post("/admin/listings/neighborhood/add/", {**data, "slug": "downtown"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["slug"] == [
        f"{boulder.name}, Boulder has this slug: searches name neighborhoods by slug alone, "
        "so add the city (e.g. downtown-boulder)."
    ]
    response = client.post("/admin/listings/neighborhood/add/", {**data, "slug": "downtown-denver"})
    assert response.status_code == 302
    # Editing a neighborhood keeps its own slug.
    edit = {"city": boulder.city_id, "name": "Downtown Boulder", "slug": "downtown"}
    edit |= {"latitude": "40.0", "longitude": "-105.27"}
    response = client.post(f"/admin/listings/neighborhood/{boulder.pk}/change/", edit)
    assert response.status_code == 302


def _photo_rows(**overrides):
    rows = {
        "photos-TOTAL_FORMS": "1",
        "photos-INITIAL_FORMS": "0",
        "photos-0-caption": "Main room",
        "photos-0-position": "0",
    }
    rows.update(overrides)
    return rows


@pytest.mark.django_db
def test_a_host_adds_a_listing_with_a_photo_and_the_services_make_it():
    hood = NeighborhoodFactory()
    host = host_enable(user=UserFactory())
    data = {
        "title": "Loft desks",
        "slug": "loft-desks",
        "status": "published",
        "space_type": "hot_desk",
        "description": "A loft.",
        "city": hood.city_id,
        "neighborhood": hood.pk,
        "address": "1 Pearl St",
        "latitude": "",
        "longitude": "",
        "desks": "5",
        "price_per_desk": "300",
        "min_term_months": "1",
        "deposit_months": "0",
        "available_from": "2027-01-01",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
        **_photo_rows(),
        "photos-0-image": image_upload(name="IMG_1234.jpg", size=(1800, 1200)),
    }

    response = _as(host).post("/host/listings/listing/add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    listing = Listing.objects.get(slug="loft-desks")
    assert listing.host == host
    assert (listing.latitude, listing.longitude) == (hood.latitude, hood.longitude)
    photo = listing.photos.get()
    assert photo.has_variants and photo.caption == "Main room"
    assert "IMG_1234" not in photo.image.name  # stored under a name we chose


@pytest.mark.django_db(transaction=True)
def test_a_photo_removed_in_the_host_admin_takes_its_files_with_it():
    from listings.services import photo_create

    listing = ListingFactory()
    photo = photo_create(listing=listing, image=image_upload(size=(900, 600)))
    files = [photo.image.name, photo.card_jpeg, photo.card_webp, photo.hero_jpeg, photo.hero_webp]
    assert all(default_storage.exists(name) for name in files)
    rows = {
        "photos-TOTAL_FORMS": "1",
        "photos-INITIAL_FORMS": "1",
        "photos-0-id": str(photo.pk),
        "photos-0-listing": str(listing.pk),
        "photos-0-caption": "",
        "photos-0-position": "0",
        "photos-0-DELETE": "on",
    }
    client = _as(host_enable(user=listing.host))

    response = client.post(f"/host/listings/listing/{listing.pk}/change/", _form(listing) | rows)

    assert response.status_code == 302
    assert not Photo.objects.exists()
    assert not any(default_storage.exists(name) for name in files)


@pytest.mark.django_db
def test_a_truncated_photo_is_a_form_error_in_the_host_admin_and_stores_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    listing = ListingFactory()
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (90, 120, 150)).save(buf, "JPEG")
    cut = SimpleUploadedFile("cut.jpg", buf.getvalue()[: buf.tell() // 2], "image/jpeg")
    client = _as(host_enable(user=listing.host))

    response = client.post(
        f"/host/listings/listing/{listing.pk}/change/",
        _form(listing) | _photo_rows(**{"photos-0-image": cut}),
    )

    assert response.status_code == 200
    assert "damaged or incomplete" in response.content.decode()
    assert not Photo.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.django_db
def test_the_archive_action_takes_listings_off_the_site():
    listing = ListingFactory()
    client = _as(host_enable(user=listing.host))
    response = client.post(
        "/host/listings/listing/",
        {"action": "archive_listings", "_selected_action": [str(listing.pk)]},
    )
    assert response.status_code == 302  # to the page that says what it does, and asks
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
    confirm = client.get(response["Location"])
    assert "Archive 1 space?" in confirm.content.decode()
    client.post(response["Location"].split("?")[0], {"ids": str(listing.pk)})
    listing.refresh_from_db()
    assert listing.status == Listing.Status.ARCHIVED


@pytest.mark.django_db
def test_a_forged_photo_form_count_builds_no_more_forms_than_a_listing_may_have():
    from listings.admin import MAX_PHOTOS

    listing = ListingFactory()
    client = _as(host_enable(user=listing.host))
    forged = _form(listing) | {"photos-TOTAL_FORMS": "99999999", "photos-INITIAL_FORMS": "0"}

    response = client.post(f"/host/listings/listing/{listing.pk}/change/", forged)

    assert response.status_code == 200
    assert f"Please submit at most {MAX_PHOTOS} forms." in response.content.decode()
    formset = response.context["inline_admin_formsets"][0].formset
    assert len(formset.forms) <= MAX_PHOTOS
