"""Writes for listings. Photos get their resized variants here, once, at upload."""

import hashlib
import io
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps

from .models import Listing, Photo

# (name, bounding box, JPEG quality, WebP quality). The box bounds the height too: a tall
# photo kept its full height when only the width was bounded, and WebP refuses any side over
# 16,383 px (a 1170x20000 upload was a 500 in /host/).
VARIANTS = (("card", (640, 2560), 78, 72), ("hero", (1600, 6400), 82, 78))
# Longest side over shortest side. Real panoramas stay within it; a strip beyond it would
# make variants a few pixels wide (or, unbounded, too tall to encode).
MAX_ASPECT_RATIO = 10

NOT_AN_IMAGE = "Upload a photo (JPEG, PNG or WebP); this file is not an image we can read."
IMAGE_TOO_BIG = "This photo is over {mb} MB. Please upload a smaller file."
IMAGE_TOO_MANY_PIXELS = "This photo is too large ({pixels:,} pixels). Please resize it first."
IMAGE_TOO_NARROW = (
    "This photo is {width:,} × {height:,} pixels: one side is more than {ratio} times the "
    "other. Please crop it to a more usual shape."
)
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


def image_validate(uploaded) -> None:
    """Raise ValidationError unless ``uploaded`` is a readable image within the size limits.

    Checked by Pillow, not by file name: the header is parsed without decoding pixels, so
    a decompression bomb is refused before it costs memory.
    """
    size = getattr(uploaded, "size", None)
    if size is not None and size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(
            IMAGE_TOO_BIG.format(mb=settings.MAX_UPLOAD_BYTES // (1024 * 1024)), code="too_big"
        )
    position = uploaded.tell() if hasattr(uploaded, "tell") else 0
    try:
        with Image.open(uploaded) as img:
            fmt = img.format
            width, height = img.size
            img.verify()
    except Image.DecompressionBombError as exc:
        raise ValidationError(
            IMAGE_TOO_MANY_PIXELS.format(pixels=settings.MAX_IMAGE_PIXELS), code="too_many_pixels"
        ) from exc
    except Exception as exc:  # Pillow raises many types for garbage input.
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from exc
    finally:
        if hasattr(uploaded, "seek"):
            uploaded.seek(position)
    if fmt not in ALLOWED_FORMATS:
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image")
    if width * height > settings.MAX_IMAGE_PIXELS:
        raise ValidationError(
            IMAGE_TOO_MANY_PIXELS.format(pixels=width * height), code="too_many_pixels"
        )
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise ValidationError(
            IMAGE_TOO_NARROW.format(width=width, height=height, ratio=MAX_ASPECT_RATIO),
            code="aspect_ratio",
        )


def _encode(img: Image.Image, fmt: str, quality: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.convert("RGB").save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
    else:
        img.save(buf, "WEBP", quality=quality, method=4)
    return buf.getvalue()


def variants_write(*, source, folder: str, stem: str) -> dict:
    """Write card and hero variants (JPEG + WebP) of the image in ``source`` to storage.

    Returns the Photo field values (names and sizes). Variant names carry a hash of their
    content, so a name never changes meaning and can be cached for a year (immutable).
    """
    Image.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS
    fields = {}
    with Image.open(source) as opened:
        original = ImageOps.exif_transpose(opened).convert("RGB")
    for name, box, jpeg_q, webp_q in VARIANTS:
        img = original.copy()
        img.thumbnail(box, Image.Resampling.LANCZOS)  # shrinks to fit, never enlarges
        for fmt, field, ext, quality in (
            ("JPEG", "jpeg", "jpg", jpeg_q),
            ("WEBP", "webp", "webp", webp_q),
        ):
            data = _encode(img, fmt, quality)
            digest = hashlib.sha256(data).hexdigest()[:12]
            fields[f"{name}_{field}"] = default_storage.save(
                f"{folder}/{stem[:40]}-{name}-{digest}.{ext}", ContentFile(data)
            )
        fields[f"{name}_width"], fields[f"{name}_height"] = img.size
    return fields


def photo_make_variants(*, photo: Photo) -> Photo:
    """Make and record the variants of ``photo.image``."""
    with photo.image.open("rb") as source:
        fields = variants_write(
            source=source,
            folder=f"listings/{photo.listing_id}/variants",
            stem=PurePosixPath(photo.image.name).stem,
        )
    for field, value in fields.items():
        setattr(photo, field, value)
    photo.save(update_fields=list(fields))
    return photo


@transaction.atomic
def photo_create(*, listing: Listing, image, caption: str = "", position: int = 0) -> Photo:
    """Store an uploaded image for ``listing`` and make its variants."""
    image_validate(image)
    photo = Photo(listing=listing, caption=caption, position=position)
    photo.image.save(getattr(image, "name", "photo.jpg") or "photo.jpg", image, save=False)
    photo.full_clean()
    photo.save()
    return photo_make_variants(photo=photo)
