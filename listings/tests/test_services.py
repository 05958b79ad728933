import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from listings.services import image_validate, photo_create
from listings.tests.factories import ListingFactory, image_upload


@pytest.mark.django_db
def test_photo_create_makes_card_and_hero_variants_once():
    listing = ListingFactory()
    photo = photo_create(listing=listing, image=image_upload(size=(2400, 1600)), caption="Desks")

    assert (photo.width, photo.height) == (2400, 1600)
    assert (photo.card_width, photo.card_height) == (640, 427)
    assert (photo.hero_width, photo.hero_height) == (1600, 1067)
    for name, fmt in [
        (photo.card_jpeg, "JPEG"),
        (photo.card_webp, "WEBP"),
        (photo.hero_jpeg, "JPEG"),
        (photo.hero_webp, "WEBP"),
    ]:
        with default_storage.open(name) as fh, Image.open(fh) as img:
            assert img.format == fmt
    assert photo.card_url != photo.image.url  # a card never ships the original


@pytest.mark.django_db
def test_small_photo_is_not_upscaled():
    photo = photo_create(listing=ListingFactory(), image=image_upload(size=(500, 300)))
    assert (photo.card_width, photo.hero_width) == (500, 500)


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
