"""Photo uploads through the host admin: not an image, too big, a decompression bomb or a strip
too long and narrow to resize is refused with a clear form error and nothing is stored."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.services import host_enable
from listings.models import Photo
from listings.tests.factories import image_upload
from listings.tests.helpers import listing_change_form


def _png_bomb(width=30000, height=30000):
    """A tiny PNG that claims 900 million pixels (compressed rows of zeros)."""

    def chunk(kind, data):
        import struct

        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    raw = zlib.compress(row * 200, 9)  # truncated data: the header alone is the threat
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _change_form(listing):
    return listing_change_form(
        listing,
        **{"photos-TOTAL_FORMS": "1", "photos-0-caption": "our space", "photos-0-position": "0"},
    )


@pytest.fixture
def host_client(world):
    host_enable(user=world["host_a"])
    client = Client()
    client.force_login(world["host_a"])
    return client


def _upload(client, listing, file):
    data = _change_form(listing)
    data["photos-0-image"] = file
    return client.post(f"/host/listings/listing/{listing.pk}/change/", data)


def test_a_real_image_is_accepted(host_client, world):
    listing = world["listing_a"]
    response = _upload(host_client, listing, image_upload(size=(800, 600)))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Photo.objects.filter(listing=listing).count() == 1


@pytest.mark.parametrize(
    "name,content,content_type",
    [
        ("photo.jpg", b"MZ\x90\x00 this is an exe, not a jpeg" * 50, "image/jpeg"),
        ("photo.png", b"<?php system($_GET['c']); ?>", "image/png"),
        (
            "photo.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>",
            "image/svg+xml",
        ),
        ("photo.jpg", b"", "image/jpeg"),
    ],
    ids=["exe-as-jpg", "php-as-png", "svg", "empty"],
)
def test_files_that_are_not_images_are_refused(host_client, world, name, content, content_type):
    listing = world["listing_a"]
    response = _upload(host_client, listing, SimpleUploadedFile(name, content, content_type))
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Photo.objects.filter(listing=listing).exists()


def test_a_too_big_upload_is_refused(host_client, world, settings):
    settings.MAX_UPLOAD_BYTES = 200_000
    buf = io.BytesIO()
    # Noise does not compress: a real JPEG bigger than the limit.
    Image.effect_noise((1200, 1200), 100).convert("RGB").save(buf, "JPEG", quality=95)
    assert buf.tell() > settings.MAX_UPLOAD_BYTES
    big = SimpleUploadedFile("big.jpg", buf.getvalue(), "image/jpeg")
    response = _upload(host_client, world["listing_a"], big)
    assert response.status_code == 200
    assert "MB" in response.content.decode()
    assert not Photo.objects.exists()


def test_a_decompression_bomb_is_refused(host_client, world):
    bomb = SimpleUploadedFile("bomb.png", _png_bomb(), "image/png")
    assert bomb.size < 10_000
    response = _upload(host_client, world["listing_a"], bomb)
    assert response.status_code == 200
    assert "too large" in response.content.decode()
    assert not Photo.objects.exists()


def test_a_tall_narrow_strip_is_refused_with_a_form_error_not_a_500(host_client, world):
    # 1170 x 20,000: under the pixel limit, but its variants were too tall for WebP (a 500).
    buf = io.BytesIO()
    Image.new("L", (1170, 20000), 200).save(buf, "PNG")
    strip = SimpleUploadedFile("strip.png", buf.getvalue(), "image/png")
    listing = world["listing_a"]
    response = _upload(host_client, listing, strip)
    assert response.status_code == 200
    page = response.content.decode()
    assert "1,170 × 20,000 pixels" in page and "crop it" in page
    assert 'value="our space"' in page  # what the host typed is still in the form
    assert not Photo.objects.filter(listing=listing).exists()
