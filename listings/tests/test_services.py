import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from listings.services import VARIANTS, image_validate, photo_create, variants_write
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


def _png(size, mode="L"):
    buf = io.BytesIO()
    Image.new(mode, size, 200).save(buf, "PNG")  # one colour: a few KB however many pixels
    buf.seek(0)
    return buf


@pytest.mark.parametrize("size", [(400, 17000), (17000, 400)], ids=["tall", "wide"])
def test_variants_of_a_long_image_fit_their_box_and_can_be_encoded(size):
    # Beyond 16,383 px on a side WebP cannot encode: only the width was bounded, so a tall
    # strip kept its height and the upload failed with a 500.
    fields = variants_write(source=_png(size), folder="test/long", stem="long")
    for name, (box_width, box_height), _, _ in VARIANTS:
        width, height = fields[f"{name}_width"], fields[f"{name}_height"]
        assert width <= box_width and height <= box_height, name
        for ext in ("jpeg", "webp"):
            with default_storage.open(fields[f"{name}_{ext}"]) as fh, Image.open(fh) as img:
                assert img.size == (width, height)


def test_image_validate_refuses_an_absurd_aspect_ratio_and_says_why():
    strip = SimpleUploadedFile("strip.png", _png((1170, 20000)).getvalue(), "image/png")
    with pytest.raises(ValidationError, match="1,170 × 20,000 pixels") as exc:
        image_validate(strip)
    assert "crop" in str(exc.value)
    panorama = SimpleUploadedFile("pano.png", _png((4000, 800)).getvalue(), "image/png")
    image_validate(panorama)  # 5:1 is a panorama, not a strip
