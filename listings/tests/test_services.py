import datetime
import io
import struct
import zlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image

from accounts.tests.factories import HostFactory
from listings.models import Listing, Photo
from listings.services import (
    MASTER_BOX,
    VARIANTS,
    image_validate,
    listing_archive,
    listing_create,
    listing_publish,
    listing_update,
    photo_copy,
    photo_create,
    photo_delete,
)
from listings.tests.factories import (
    AmenityFactory,
    ListingFactory,
    NeighborhoodFactory,
    image_upload,
)

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    """A media folder per test, so what a test finds stored is what it wrote."""
    settings.MEDIA_ROOT = str(tmp_path)


def _stored(listing) -> set[str]:
    """Every file stored under the listing's folder."""
    names = set()
    for folder in (f"listings/{listing.pk}", f"listings/{listing.pk}/variants"):
        if default_storage.exists(folder):
            names |= {f"{folder}/{name}" for name in default_storage.listdir(folder)[1]}
    return names


def _files(photo) -> list[str]:
    return [photo.image.name, photo.card_jpeg, photo.card_webp, photo.hero_jpeg, photo.hero_webp]


def _upload(name, data, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _jpeg(size=(1200, 800), exif=None, mode="RGB") -> bytes:
    buf = io.BytesIO()
    extra = {"exif": exif} if exif is not None else {}
    Image.new(mode, size, 150).save(buf, "JPEG", quality=90, **extra)
    return buf.getvalue()


def _png_header_only(width, height, colour_type=2):
    """A PNG that claims ``width`` x ``height`` (8-bit; colour type 2 is RGB) with a few
    rows of data: what matters is what its header asks Pillow to decode."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    rows = zlib.compress((b"\x00" + b"\x00" * width * 3) * 8, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


# --- Listings ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_listing_create_makes_a_draft_pinned_at_its_neighborhood():
    hood = NeighborhoodFactory()
    wifi = AmenityFactory()
    listing = listing_create(
        host=HostFactory(),
        city=hood.city,
        neighborhood=hood,
        title="Quiet desks",
        slug="quiet-desks",
        description="Desks by a window.",
        address="1 Pearl St",
        space_type=Listing.SpaceType.HOT_DESK,
        desks=4,
        price_per_desk=Decimal("250"),
        available_from=timezone.localdate(),
        amenities=[wifi],
    )
    assert listing.status == Listing.Status.DRAFT
    assert (listing.latitude, listing.longitude) == (hood.latitude, hood.longitude)
    assert list(listing.amenities.all()) == [wifi]


@pytest.mark.django_db
def test_listing_create_refuses_invalid_values_and_saves_nothing():
    hood = NeighborhoodFactory()
    with pytest.raises(ValidationError) as exc:
        listing_create(
            host=HostFactory(),
            city=hood.city,
            neighborhood=hood,
            title="",
            slug="no title",
            description="x",
            address="x",
            space_type="castle",
            desks=0,
            price_per_desk=Decimal("-1"),
            available_from=timezone.localdate(),
        )
    assert {"title", "slug", "space_type"} <= set(exc.value.error_dict)
    assert len(exc.value.error_dict["__all__"]) == 2  # no desks, a price below zero
    assert not Listing.objects.exists()


@pytest.mark.django_db
def test_listing_update_changes_only_what_it_may():
    listing = ListingFactory()
    with pytest.raises(TypeError, match="search_vector"):
        listing_update(listing=listing, data={"search_vector": "x"})
    wifi = AmenityFactory()
    saved = listing_update(listing=listing, data={"title": "New title", "amenities": [wifi]})
    assert saved.title == "New title"
    assert list(saved.amenities.all()) == [wifi]


@pytest.mark.django_db
def test_listing_publish_and_archive():
    listing = ListingFactory(status=Listing.Status.DRAFT)
    assert listing_publish(listing=listing).status == Listing.Status.PUBLISHED
    assert listing_archive(listing=listing).status == Listing.Status.ARCHIVED
    listing.refresh_from_db()
    assert listing.status == Listing.Status.ARCHIVED


# --- Photos ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_photo_create_makes_card_and_hero_variants_once():
    listing = ListingFactory()
    photo = photo_create(listing=listing, image=image_upload(size=(2400, 1600)), caption="Desks")

    assert (photo.width, photo.height) == (2048, 1365)  # the kept copy fits MASTER_BOX
    assert (photo.card_width, photo.card_height) == (640, 426)
    assert (photo.hero_width, photo.hero_height) == (1600, 1066)
    for name, fmt in [
        (photo.image.name, "JPEG"),
        (photo.card_jpeg, "JPEG"),
        (photo.card_webp, "WEBP"),
        (photo.hero_jpeg, "JPEG"),
        (photo.hero_webp, "WEBP"),
    ]:
        with default_storage.open(name) as fh, Image.open(fh) as img:
            assert img.format == fmt
    assert photo.card_url != photo.image.url  # a card never ships the original
    assert _stored(listing) == set(_files(photo))


@pytest.mark.django_db
def test_small_photo_is_not_upscaled():
    photo = photo_create(listing=ListingFactory(), image=image_upload(size=(500, 300)))
    assert (photo.card_width, photo.hero_width) == (500, 500)


@pytest.mark.django_db
def test_stored_files_carry_no_metadata_and_stand_upright():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Orientation] = 6  # taken sideways: shown turned a quarter
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N"}
    upload = _upload("IMG_0001.JPG", _jpeg(size=(600, 400), exif=exif))
    listing = ListingFactory()

    photo = photo_create(listing=listing, image=upload)

    assert (photo.width, photo.height) == (400, 600)
    for name in _files(photo):
        with default_storage.open(name) as fh:
            data = fh.read()
        assert b"SpyCam" not in data and b"Exif" not in data, name
        with Image.open(io.BytesIO(data)) as img:
            assert not img.getexif(), name
            assert img.height > img.width, name
    # Named by us, not by the uploader's file name.
    assert "IMG_0001" not in photo.image.name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, fmt, kind",
    [("desk.png", "PNG", "image/png"), ("desk.webp", "WEBP", "image/webp")],
)
def test_png_and_webp_are_taken_and_stored_as_jpeg_and_webp(name, fmt, kind):
    buf = io.BytesIO()
    Image.new("RGBA", (900, 600), (10, 200, 30, 128)).save(buf, fmt)
    photo = photo_create(listing=ListingFactory(), image=_upload(name, buf.getvalue(), kind))
    assert photo.image.name.endswith(".jpg")
    assert photo.hero_webp.endswith(".webp")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, data, message",
    [
        ("desk.jpg", b"this is not a jpeg", "not an image"),
        ("desk.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "not an image"),
        # A GIF that is also a PDF: served as its extension says, it would be a page on our site.
        ("offer.pdf", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;%PDF-1.4 1 0 obj", "not an image"),
        ("desk.pdf", _jpeg(), "name ends in “.pdf”"),
        ("desk.png", _jpeg(), "a JPEG image but its name ends in “.png”"),
        ("desk", _jpeg(), r"ends in “\(nothing\)”"),
    ],
    ids=["text", "gif", "gif-pdf-polyglot", "jpeg-named-pdf", "jpeg-named-png", "no-extension"],
)
def test_only_jpeg_png_and_webp_by_content_and_by_name(name, data, message):
    listing = ListingFactory()
    with pytest.raises(ValidationError, match=message):
        photo_create(listing=listing, image=_upload(name, data))
    assert not Photo.objects.exists()
    assert _stored(listing) == set()


@pytest.mark.django_db
def test_a_truncated_jpeg_is_refused_and_leaves_no_file():
    whole = _jpeg(size=(1600, 1200))
    listing = ListingFactory()
    with pytest.raises(ValidationError, match="damaged or incomplete"):
        photo_create(listing=listing, image=_upload("cut.jpg", whole[: len(whole) // 2]))
    assert not Photo.objects.exists()
    assert _stored(listing) == set()


def test_image_validate_refuses_a_text_file_named_like_a_photo():
    fake = SimpleUploadedFile("desk.jpg", b"this is not a jpeg", content_type="image/jpeg")
    with pytest.raises(ValidationError, match="not an image"):
        image_validate(fake)


def test_image_validate_refuses_too_many_pixels(settings):
    settings.MAX_IMAGE_PIXELS = 1_000_000
    buf = io.BytesIO()
    Image.new("1", (2000, 2000)).save(buf, "PNG")  # tiny file, 4 Mpx when decoded
    bomb = SimpleUploadedFile("bomb.png", buf.getvalue(), content_type="image/png")
    with pytest.raises(ValidationError, match="too large"):
        image_validate(bomb)


def test_image_validate_refuses_oversized_file(settings):
    settings.MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError, match="over"):
        image_validate(image_upload(size=(800, 600)))


def test_a_png_too_big_to_decode_in_budget_is_refused_before_decoding():
    # 6,300 x 6,300 RGB is under the pixel limit but ~160 MB decoded. The file holds only a
    # few rows: had it been decoded, the answer would be "damaged", not this one.
    png = _upload("flat.png", _png_header_only(6300, 6300), "image/png")
    with pytest.raises(ValidationError, match="6,300 × 6,300 pixels, more than we can process"):
        image_validate(png)


def test_a_big_jpeg_is_decoded_at_a_reduced_scale_and_taken():
    # 4,600 x 3,700 RGB would be ~68 MB decoded whole (over the budget); at half scale it is
    # a quarter of that, still bigger than the hero variant.
    image_validate(_upload("big.jpg", _jpeg(size=(4600, 3700))))


def _png(size, mode="L"):
    buf = io.BytesIO()
    Image.new(mode, size, 200).save(buf, "PNG")  # one colour: a few KB however many pixels
    return buf.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("size", [(400, 4000), (4000, 400)], ids=["tall", "wide"])
def test_variants_of_a_long_image_fit_their_box_and_can_be_encoded(size):
    photo = photo_create(listing=ListingFactory(), image=_upload("long.png", _png(size)))
    assert max(photo.width, photo.height) <= max(MASTER_BOX)
    for name, (box_width, box_height), _, _ in VARIANTS:
        width, height = getattr(photo, f"{name}_width"), getattr(photo, f"{name}_height")
        assert width <= box_width and height <= box_height, name
        for ext in ("jpeg", "webp"):
            with default_storage.open(getattr(photo, f"{name}_{ext}")) as fh, Image.open(fh) as img:
                assert img.size == (width, height)


def test_image_validate_refuses_an_absurd_aspect_ratio_and_says_why():
    strip = SimpleUploadedFile("strip.png", _png((1170, 20000)), "image/png")
    with pytest.raises(ValidationError, match="1,170 × 20,000 pixels") as exc:
        image_validate(strip)
    assert "crop" in str(exc.value)
    panorama = SimpleUploadedFile("pano.png", _png((4000, 800)), "image/png")
    image_validate(panorama)  # 5:1 is a panorama, not a strip


@pytest.mark.django_db
def test_photo_delete_removes_its_files_once_committed(django_capture_on_commit_callbacks):
    listing = ListingFactory()
    photo = photo_create(listing=listing, image=image_upload(size=(800, 600)))
    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(photo=photo)
    assert not Photo.objects.exists()
    assert _stored(listing) == set()


@pytest.mark.django_db
def test_photo_delete_keeps_files_another_photo_shares(django_capture_on_commit_callbacks):
    first = photo_create(listing=ListingFactory(), image=image_upload(size=(800, 600)))
    copy = photo_copy(listing=ListingFactory(), source=first, caption="Same room")
    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(photo=first)
    for name in _files(copy):
        assert default_storage.exists(name), name
    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(photo=copy)
    assert not any(default_storage.exists(name) for name in _files(copy))


@pytest.mark.django_db
def test_prune_deletes_old_files_no_photo_uses_and_keeps_the_rest():
    import os
    import time

    from django.core.management import call_command

    listing = ListingFactory()
    kept = photo_create(listing=listing, image=image_upload(size=(800, 600)))
    stray = default_storage.save(
        f"listings/{listing.pk}/variants/left-behind.jpg", io.BytesIO(b"x")
    )
    fresh = default_storage.save(f"listings/{listing.pk}/mid-upload.jpg", io.BytesIO(b"x"))
    an_hour_ago = time.time() - 3700
    for name in [*_files(kept), stray]:
        os.utime(default_storage.path(name), (an_hour_ago, an_hour_ago))

    out = io.StringIO()
    call_command("prune_photo_files", "--dry-run", stdout=out)
    assert "Would delete 1 unused photo file(s)." in out.getvalue()
    assert default_storage.exists(stray)

    call_command("prune_photo_files", stdout=io.StringIO())
    assert _stored(listing) == {*_files(kept), fresh}


@pytest.mark.django_db
def test_every_stored_photo_file_is_served_as_what_it_is(client):
    buf = io.BytesIO()
    Image.new("RGB", (900, 600), (40, 90, 160)).save(buf, "PNG")
    photo = photo_create(listing=ListingFactory(), image=_upload("room.png", buf.getvalue()))
    for name in _files(photo):
        response = client.get(default_storage.url(name))
        assert response.status_code == 200, name
        body = b"".join(response.streaming_content)
        with Image.open(io.BytesIO(body)) as img:
            real = Image.MIME[img.format]
        assert response["Content-Type"] == real, name
