"""Writes for listings: the public contract that both admins, the demo data and tests call.

Capacity: a listing's ``desks`` never drops below what approved bookings hold on any day
from today on. ``listing_update`` checks it under the listing's row lock, the lock that
bookings.services takes before it approves; the lock order everywhere is the listing, then
its bookings (``listing_lock``), so a capacity cut and an approval queue on one row and the
second counts what the first committed.

Photos: an upload is checked by its content and its name (JPEG, PNG or WebP only), its
decoded size is budgeted before any pixel is decoded (``image_open``), and what is stored
is re-encoded by us — a metadata-free copy no larger than ``MASTER_BOX`` plus the card and
hero variants — under names we choose, with the extension of what they contain.
"""

import datetime
import hashlib
import io
import secrets
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image, ImageOps

from accounts.models import User
from bookings.selectors import (
    approved_bookings_running,
    approved_desks_peak,
    withdrawal_preview,
)
from pivotdesk.pagecache import public_content_changed

from .models import Amenity, City, Listing, ListingExtra, Neighborhood, Photo
from .selectors import host_listings_to_archive
from .signals import desks_freed, listing_unlisted

LISTING_ARCHIVE_WITH_BOOKINGS = (
    "This space has requests or bookings: archive it from the list of spaces (select it, then "
    "Archive), which says what happens to them and tells the guests."
)
LISTING_OPENS_AFTER_BOOKED = (
    "Booking #{pk} starts on {start:%B %-d, %Y}: the space must be available from that day "
    "or earlier."
)
LISTING_MIN_TERM_ABOVE_BOOKED = (
    "Booking #{pk} runs for {months} month{s} from {start:%B %-d, %Y}: while it runs the "
    "minimum term can be at most {months} month{s}."
)
LISTING_DESKS_BELOW_APPROVED = (
    "{approved} desks are already approved on {day:%B %-d, %Y}; "
    "a listing can't have fewer desks than that (desks held for a waitlist offer count too)."
)
# What listing_update may change; ``host`` too, for operators moving a listing.
LISTING_FIELDS = (
    "host",
    "title",
    "slug",
    "status",
    "space_type",
    "description",
    "city",
    "neighborhood",
    "address",
    "latitude",
    "longitude",
    "desks",
    "price_per_desk",
    "min_term_months",
    "deposit_months",
    "available_from",
    "instant_book",
)

# (name, bounding box, JPEG quality, WebP quality). The box bounds the height too: a tall
# photo kept its full height when only the width was bounded, and WebP refuses any side over
# 16,383 px (a 1170x20000 upload was a 500 in /host/).
VARIANTS = (("card", (640, 2560), 78, 72), ("hero", (1600, 6400), 82, 78))
# The copy of the upload we keep (Photo.image): re-encoded, so no EXIF (GPS, camera) and
# nothing but a JPEG survives, and no larger than this — the hero variant is 1,600 px.
MASTER_BOX = (2048, 2048)
MASTER_QUALITY = 88
# Longest side over shortest side. Real panoramas stay within it; a strip beyond it would
# make variants a few pixels wide (or, unbounded, too tall to encode).
MAX_ASPECT_RATIO = 10
# Memory one upload may take while it is decoded and shrunk to MASTER_BOX, estimated from
# its header (``_memory_needed``) and refused above this, before decoding. The peak RSS
# measured for the largest images accepted is in docs/decisions/0011-upload-memory-budget.md
# (loadtest/upload_memory.py). JPEGs are decoded at 1/2, 1/4 or 1/8 scale when that is still
# at least hero-sized, so only PNG and WebP come near it.
MAX_DECODE_BYTES = 84 * 1024 * 1024
# Peak bytes per pixel while a full-size image of each mode is in memory: Pillow keeps
# multi-band pixels in 4 bytes, and converting (palette -> RGB, CMYK -> RGB, alpha
# premultiplied for resizing) holds a second full-size copy for a moment.
PEAK_BYTES_PER_PIXEL = {"1": 2, "L": 1, "P": 5, "RGB": 4, "YCbCr": 4, "I;16": 6}
PEAK_BYTES_OTHER_MODES = 8
# The WebP decoder hands over decoded copies of its own before Pillow's image is made.
PEAK_BYTES_WEBP_EXTRA = 8
# The storage names a Photo holds (photo_delete removes them when no photo uses them).
PHOTO_FILE_FIELDS = ("image", "card_jpeg", "card_webp", "hero_jpeg", "hero_webp")
# Content (Pillow's format) -> the file name extensions it may come with. MPO is how Pillow
# names the JPEGs many phones write (a JPEG with a second, preview picture).
FORMAT_EXTENSIONS = {
    "JPEG": {".jpg", ".jpeg"},
    "MPO": {".jpg", ".jpeg"},
    "PNG": {".png"},
    "WEBP": {".webp"},
}

NOT_AN_IMAGE = "Upload a photo (JPEG, PNG or WebP); this file is not an image we can read."
IMAGE_WRONG_EXTENSION = (
    "This file is a {kind} image but its name ends in “{ext}”. Rename it to end in "
    "{expected} and upload it again."
)
IMAGE_DAMAGED = (
    "This photo is damaged or incomplete (part of the file is missing). Please upload it again."
)
IMAGE_TOO_BIG = "This photo is over {mb} MB. Please upload a smaller file."
IMAGE_TOO_MANY_PIXELS = "This photo is too large ({pixels:,} pixels). Please resize it first."
IMAGE_TOO_HEAVY = (
    "This photo is {width:,} × {height:,} pixels, more than we can process as a {kind}. "
    "Please resize it to at most {megapixels} megapixels, or upload it as a JPEG."
)
IMAGE_TOO_NARROW = (
    "This photo is {width:,} × {height:,} pixels: one side is more than {ratio} times the "
    "other. Please crop it to a more usual shape."
)


# --- Listings ----------------------------------------------------------------------------


def listing_lock(*, listing_id: int) -> Listing:
    """The listing re-read under its row lock (``select_for_update``): the first lock of
    every write that counts desks (here and in bookings.services). Caller must be inside
    transaction.atomic; the lock holds until it commits."""
    return Listing.objects.select_for_update().get(pk=listing_id)


def listing_desks_check(*, listing: Listing, desks: int) -> None:
    """Raise ValidationError (on ``desks``) if approved bookings hold more than ``desks``
    desks of ``listing`` on any day from today on.

    Takes the listing's row lock before counting, so no approval can slip in between the
    count and the caller's write: caller must be inside transaction.atomic and write the new
    capacity in that same transaction (listing_update does; the admin's form asks this
    during validation, inside the admin's own transaction, for a message on the field).
    """
    if listing.pk is None or not isinstance(desks, int) or desks < 1:
        return  # a new listing has no bookings; below one desk the model's constraint answers
    locked = listing_lock(listing_id=listing.pk)
    approved, day = approved_desks_peak(listing=locked, start=timezone.localdate())
    if approved > desks:
        raise ValidationError(
            {"desks": LISTING_DESKS_BELOW_APPROVED.format(approved=approved, day=day)}
        )


def listing_status_check(*, listing: Listing, status: str) -> None:
    """Raise ValidationError (on ``status``) when a form would archive a space that has
    requests or running bookings: archiving those goes through bookings.services
    .listing_withdraw, which settles them."""
    if listing.pk is None or status != Listing.Status.ARCHIVED or listing.status == status:
        return
    preview = withdrawal_preview(listings=[listing])[listing.pk]
    if preview["declined"] or preview["told"]:
        raise ValidationError({"status": LISTING_ARCHIVE_WITH_BOOKINGS})


def listing_terms_check(
    *,
    listing: Listing,
    available_from: datetime.date | None = None,
    min_term_months: int | None = None,
) -> None:
    """Raise ValidationError (on the field) if a new "available from" comes after an approved
    booking's start, or a new minimum term is longer than an approved booking that still runs:
    the page would say "opens September 1" over months guests have booked. Like
    listing_desks_check it takes the listing's row lock first."""
    if listing.pk is None or (available_from is None and min_term_months is None):
        return
    locked = listing_lock(listing_id=listing.pk)
    running = approved_bookings_running(listing=locked, on=timezone.localdate())
    errors = {}
    first = next((b for b in running if available_from and b.start < available_from), None)
    if first is not None:
        errors["available_from"] = LISTING_OPENS_AFTER_BOOKED.format(pk=first.pk, start=first.start)
    short = next((b for b in running if min_term_months and b.months < min_term_months), None)
    if short is not None:
        errors["min_term_months"] = LISTING_MIN_TERM_ABOVE_BOOKED.format(
            pk=short.pk, months=short.months, s="" if short.months == 1 else "s", start=short.start
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def listing_create(
    *,
    host: User,
    city: City,
    neighborhood: Neighborhood,
    title: str,
    slug: str,
    description: str,
    address: str,
    space_type: str,
    desks: int,
    price_per_desk: Decimal,
    available_from: datetime.date,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    min_term_months: int = 1,
    deposit_months: int = 0,
    instant_book: bool = False,
    status: str = Listing.Status.DRAFT,
    amenities: list[Amenity] | None = None,
) -> Listing:
    """Create a listing (a draft unless ``status`` says otherwise). Without coordinates the
    space is pinned at its neighborhood's centre."""
    listing = Listing(
        host=host,
        city=city,
        neighborhood=neighborhood,
        title=title,
        slug=slug,
        description=description,
        address=address,
        latitude=neighborhood.latitude if latitude is None else latitude,
        longitude=neighborhood.longitude if longitude is None else longitude,
        space_type=space_type,
        desks=desks,
        price_per_desk=price_per_desk,
        min_term_months=min_term_months,
        deposit_months=deposit_months,
        available_from=available_from,
        instant_book=instant_book,
        status=status,
    )
    listing.full_clean()
    listing.save()
    if amenities:
        listing.amenities.set(amenities)
    return listing


@transaction.atomic
def listing_update(*, listing: Listing, data: dict[str, Any]) -> Listing:
    """Change the fields named in ``data`` (any of ``LISTING_FIELDS``, and ``amenities``).
    A status that takes the listing off the site (archived, or back to draft) sends
    ``listing_unlisted`` in this transaction: tours cancels the upcoming tours.

    Locks the listing row first; a new ``desks`` below what approved bookings hold from today
    on, or an "available from" or minimum term that approved bookings contradict, is refused
    (ValidationError on the field) with nothing saved. Returns the listing as
    saved (a fresh instance; ``listing`` is left as it was passed).
    """
    unknown = set(data) - {*LISTING_FIELDS, "amenities"}
    if unknown:
        raise TypeError(f"listing_update cannot change {', '.join(sorted(unknown))}")
    locked = listing_lock(listing_id=listing.pk)
    if "desks" in data:
        listing_desks_check(listing=locked, desks=data["desks"])
    terms = {k: data[k] for k in ("available_from", "min_term_months") if k in data}
    if terms:
        listing_terms_check(listing=locked, **terms)
    if "status" in data:
        listing_status_check(listing=locked, status=data["status"])
    changes = {name: value for name, value in data.items() if name != "amenities"}
    before = (locked.desks, locked.available_from, locked.min_term_months, locked.status)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    if "amenities" in data:
        locked.amenities.set(data["amenities"])
    if _opens_room(before, locked):
        desks_freed.send(sender=Listing, listing_id=locked.pk)
    _announce_if_unlisted(before[3], locked)
    return locked


def _opens_room(before: tuple, listing: Listing) -> bool:
    """Whether a change may let a listing take what it could not: more desks, open earlier,
    a shorter minimum term, or published again."""
    desks, available_from, min_term_months, status = before
    return (
        listing.desks > desks
        or listing.available_from < available_from
        or listing.min_term_months < min_term_months
        or (listing.is_published and status != listing.status)
    )


def _announce_if_unlisted(status_before: str, listing: Listing) -> None:
    """Send ``listing_unlisted`` when this write took the listing off the site (archived, or
    back to draft): apps built on listings settle what needs it listed (upcoming tours), in
    this transaction."""
    if not listing.is_published and status_before != listing.status:
        listing_unlisted.send(sender=Listing, listing_id=listing.pk)


def _listing_set_status(listing: Listing, status: str) -> Listing:
    locked = listing_lock(listing_id=listing.pk)
    if locked.status != status:
        before = locked.status
        locked.status = status
        locked.full_clean()
        locked.save(update_fields=["status", "updated_at"])
        _announce_if_unlisted(before, locked)
    return locked


@transaction.atomic
def listing_publish(*, listing: Listing) -> Listing:
    """Show the listing on the site (search, city and detail pages) and open it for bookings."""
    return _listing_set_status(listing, Listing.Status.PUBLISHED)


@transaction.atomic
def listing_archive(*, listing: Listing) -> Listing:
    """Take the listing off the site. Its bookings stay; pending requests can no longer be
    approved (bookings.services refuses approvals on a listing that is not published).
    ``listing_unlisted`` is sent in this transaction: tours cancels the upcoming tours."""
    return _listing_set_status(listing, Listing.Status.ARCHIVED)


@transaction.atomic
def host_account_closed(sender, *, user: User, **kwargs) -> None:
    """Receiver of ``accounts.signals.account_closed``: every listing of ``user`` that is not
    archived yet is archived (off the site; its past bookings stay), in ascending id (the
    lock order, docs/decisions/0155); ``user_close`` locked them already
    (``account_close_lock``)."""
    for listing in host_listings_to_archive(host_id=user.pk):
        listing_archive(listing=listing)


def account_close_lock(sender, *, listing_ids: list[int], **kwargs) -> None:
    """Receiver of ``accounts.signals.account_close_lock``: lock the listings a closing
    account's apps will touch, in ascending id (docs/decisions/0175), before any of them
    locks a team or a row. Caller (``user_close``) is inside transaction.atomic."""
    for pk in sorted(listing_ids):
        listing_lock(listing_id=pk)


@transaction.atomic
def listing_delete(*, listing: Listing) -> None:
    """Delete a listing (operators only; hosts archive) and its photos with their files.
    A listing with bookings is protected by the database: archive it instead."""
    for photo in listing.photos.all():
        photo_delete(photo=photo)
    listing.delete()


# --- Monthly extras and the figures a listing keeps for cards -----------------------------

EXTRA_KIND_TAKEN = "This space already offers {kind}: change that one instead."


def _extras_required_refresh(listing: Listing) -> None:
    """Caller holds the listing's row lock: write the sum of its required extras. Saved
    even when the sum stays: the listing page lists optional extras too, and the save
    (updated_at, the listing's signal) retires its cached card and pages."""
    listing.extras_required_cents = sum(
        ListingExtra.objects.filter(listing_id=listing.pk, required=True).values_list(
            "price_cents", flat=True
        )
    )
    listing.save(update_fields=["extras_required_cents", "updated_at"])


@transaction.atomic
def listing_extra_save(
    *,
    listing: Listing,
    kind: str,
    required: bool,
    price_cents: int,
    extra: ListingExtra | None = None,
) -> ListingExtra:
    """Add a monthly extra to ``listing``, or change ``extra`` (one of its extras). Keeps
    the listing's required-extras sum, so the all-in cost (listings.pricing) follows.
    ValidationError for a price outside 1 cent..$5,000 or a kind the listing has already."""
    locked = listing_lock(listing_id=listing.pk)
    if extra is None:
        extra = ListingExtra(listing=locked)
    elif extra.listing_id != locked.pk:
        raise ValidationError("This extra belongs to another space.")
    extra.kind, extra.required, extra.price_cents = kind, required, price_cents
    if ListingExtra.objects.filter(listing_id=locked.pk, kind=kind).exclude(pk=extra.pk).exists():
        label = ListingExtra.Kind(kind).label.lower() if kind in ListingExtra.Kind else kind
        raise ValidationError({"kind": EXTRA_KIND_TAKEN.format(kind=label)})
    extra.full_clean()
    extra.save()
    _extras_required_refresh(locked)
    return extra


@transaction.atomic
def listing_extra_delete(*, extra: ListingExtra) -> None:
    locked = listing_lock(listing_id=extra.listing_id)
    extra.delete()
    _extras_required_refresh(locked)


@transaction.atomic
def listing_rating_set(*, listing_id: int, average, count: int) -> None:
    """Store a listing's review average (None without reviews) and count, as the reviews'
    service computed them; public pages are told (the row is written without signals)."""
    Listing.objects.filter(pk=listing_id).update(rating_average=average, rating_count=count)
    public_content_changed(instance=Listing.objects.select_related("city").get(pk=listing_id))


# (requests that needed an answer, median minutes to answer or None, share answered in %)
AnswerStats = tuple[int, int | None, int]


def _answer_fields(figures: AnswerStats) -> dict:
    requests, median_minutes, share_percent = figures
    return {
        "answer_requests": requests,
        "answer_median_minutes": median_minutes,
        "answer_share_percent": share_percent,
    }


@transaction.atomic
def host_answer_stats_set(*, stats: dict[int, AnswerStats], reset_others: bool = False) -> int:
    """Store how fast each host in ``stats`` (host id: figures) answers, on their listings;
    with ``reset_others``, hosts not in ``stats`` go back to none. Public pages are told
    when a figure changed. Returns how many listings changed."""
    changed = 0
    for host_id, figures in stats.items():
        values = _answer_fields(figures)
        changed += Listing.objects.filter(host_id=host_id).exclude(**values).update(**values)
    if reset_others:
        none = _answer_fields((0, None, 0))
        changed += Listing.objects.exclude(host_id__in=list(stats)).exclude(**none).update(**none)
    if changed:
        public_content_changed()
    return changed


# --- Photos ------------------------------------------------------------------------------


def _bytes_per_pixel(img: Image.Image) -> int:
    per_pixel = PEAK_BYTES_PER_PIXEL.get(img.mode, PEAK_BYTES_OTHER_MODES)
    if img.format == "WEBP":
        per_pixel += PEAK_BYTES_WEBP_EXTRA
    return per_pixel


def _memory_needed(img: Image.Image) -> int:
    """Peak bytes to decode ``img`` (at its drafted size) and shrink it to MASTER_BOX:
    the decoded pixels, Pillow's resampling pass (the new width by the old height, 4 bytes
    a pixel) and the shrunk copy."""
    width, height = img.size
    decoded = width * height * _bytes_per_pixel(img)
    new_width, new_height = _fits(img.size, MASTER_BOX)
    if (new_width, new_height) == (width, height):
        return decoded
    return decoded + 4 * new_width * height + 4 * new_width * new_height


def _fits(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size of an image of ``size`` shrunk to fit ``box`` (never enlarged)."""
    scale = min(box[0] / size[0], box[1] / size[1], 1)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def image_open(uploaded) -> Image.Image:
    """Open and decode an uploaded photo within the limits; raise ValidationError otherwise.

    Before any pixel is decoded: the file's size, its format by content (JPEG, PNG, WebP)
    and by name, the pixel count (``MAX_IMAGE_PIXELS``, which Pillow also enforces), the
    aspect ratio, and the memory a decode would take (``MAX_DECODE_BYTES``; JPEGs are asked
    for a reduced decode with ``draft`` first). Then the pixels are loaded, so a damaged or
    truncated file is refused here and not later. Returns the image in RGB or greyscale
    ("L"); the caller closes it.
    """
    size = getattr(uploaded, "size", None)
    if size is not None and size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(
            IMAGE_TOO_BIG.format(mb=settings.MAX_UPLOAD_BYTES // (1024 * 1024)), code="too_big"
        )
    Image.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    # Pillow closes the file it reads when the image is closed: give it a copy of ours
    # (at most MAX_UPLOAD_BYTES), so the upload stays readable for the caller.
    data = io.BytesIO(uploaded.read(settings.MAX_UPLOAD_BYTES + 1))
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    try:
        # JPEG's opener hands back an MPO image when the file is one.
        img = Image.open(data, formats=["JPEG", "PNG", "WEBP"])
    except Image.DecompressionBombError as exc:
        raise ValidationError(
            IMAGE_TOO_MANY_PIXELS.format(pixels=settings.MAX_IMAGE_PIXELS), code="too_many_pixels"
        ) from exc
    except Exception as exc:  # Pillow raises many types for garbage input.
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from exc
    try:
        _image_check(img, getattr(uploaded, "name", "") or "")
        try:
            img.load()
            if img.mode not in ("RGB", "L"):
                converted = img.convert("L" if img.mode == "1" else "RGB")
                img.close()
                img = converted
        except Exception as exc:  # truncated data (OSError), broken chunks, bad Huffman tables
            raise ValidationError(IMAGE_DAMAGED, code="damaged") from exc
    except BaseException:
        img.close()
        raise
    return img


def _image_check(img: Image.Image, name: str) -> None:
    """The checks of ``image_open`` that need only the header (and ``draft``)."""
    kind = "WebP" if img.format == "WEBP" else "JPEG" if img.format == "MPO" else img.format
    ext = PurePosixPath(name.lower()).suffix
    expected = FORMAT_EXTENSIONS[img.format]
    if ext not in expected:
        raise ValidationError(
            IMAGE_WRONG_EXTENSION.format(
                kind=kind, ext=ext or "(nothing)", expected=" or ".join(sorted(expected))
            ),
            code="wrong_extension",
        )
    width, height = img.size
    if width < 1 or height < 1:
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
    if img.format in ("JPEG", "MPO"):
        # Decode at the smallest 1/2^n scale that still covers the hero variant.
        img.draft(None, _fits(img.size, VARIANTS[-1][1]))
    if _memory_needed(img) > MAX_DECODE_BYTES:
        # What fits, roughly: the budget less the kept copy, over the pixel and its pass.
        master = 4 * MASTER_BOX[0] * MASTER_BOX[1]
        fits = (MAX_DECODE_BYTES - master) // (_bytes_per_pixel(img) + 4)
        raise ValidationError(
            IMAGE_TOO_HEAVY.format(
                width=width, height=height, kind=kind, megapixels=fits // 1_000_000
            ),
            code="too_heavy",
        )


def image_validate(uploaded) -> None:
    """Raise ValidationError unless ``uploaded`` is a photo ``photo_create`` will take (see
    ``image_open``): forms call it so the host sees why on the form."""
    image_open(uploaded).close()


def _encode(
    img: Image.Image, fmt: str, quality: int, icc_profile: bytes | None, *, compact: bool = True
) -> bytes:
    """Encode without metadata: no EXIF or XMP is written (Pillow writes none unless given);
    the colour profile is kept, so wide-gamut phone photos keep their colours. ``compact``
    JPEGs (optimized, progressive: what visitors download) hold the whole image's
    coefficients in memory while encoding; the kept copy is written plainly instead."""
    buf = io.BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if fmt == "JPEG":
        extra |= {"optimize": True, "progressive": True} if compact else {}
        img.save(buf, "JPEG", quality=quality, **extra)
    else:
        img.save(buf, "WEBP", quality=quality, method=4, **extra)
    return buf.getvalue()


def _store(name: str, data: bytes, written: list[str]) -> str:
    """Save ``data`` as ``name`` (the storage may pick another name if it is taken) and
    record the name it was saved under."""
    name = default_storage.save(name, ContentFile(data))
    written.append(name)
    return name


def _files_write(*, img: Image.Image, listing_id: int, written: list[str]) -> dict[str, Any]:
    """Write the kept copy and the variants of the decoded ``img``; return the Photo field
    values. Every name written is appended to ``written`` as it is, so a failure midway can
    remove them. Variant names also carry a hash of their content, so a name never changes
    meaning and can be cached for a year (immutable).

    Memory: ``img`` is shrunk and turned in place, and each variant is resized straight from
    the one before it, so no second full-size copy is ever made.
    """
    icc = img.info.get("icc_profile")
    img.thumbnail(MASTER_BOX, Image.Resampling.LANCZOS)  # in place: frees the full size
    ImageOps.exif_transpose(img, in_place=True)  # upright, and the orientation tag is gone
    folder = f"listings/{listing_id}"
    data = _encode(img, "JPEG", MASTER_QUALITY, icc, compact=False)
    # Random, so a photo's address cannot be guessed, nor derived from a copy of the picture.
    stem = secrets.token_hex(8)
    fields: dict[str, Any] = {
        "image": _store(f"{folder}/{stem}.jpg", data, written),
        "width": img.width,
        "height": img.height,
    }
    del data
    source = img
    for name, box, jpeg_q, webp_q in sorted(VARIANTS, key=lambda v: -v[1][0]):  # hero first
        variant = source.resize(_fits(source.size, box), Image.Resampling.LANCZOS)
        for fmt, field, ext, quality in (
            ("JPEG", "jpeg", "jpg", jpeg_q),
            ("WEBP", "webp", "webp", webp_q),
        ):
            encoded = _encode(variant, fmt, quality, icc)
            digest = hashlib.sha256(encoded).hexdigest()[:12]
            fields[f"{name}_{field}"] = _store(
                f"{folder}/variants/{stem}-{name}-{digest}.{ext}", encoded, written
            )
        fields[f"{name}_width"], fields[f"{name}_height"] = variant.size
        source = variant
    return fields


def _files_delete(names: list[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


@transaction.atomic
def photo_create(*, listing: Listing, image, caption: str = "", position: int = 0) -> Photo:
    """Store an uploaded image for ``listing``: a metadata-free copy and its card and hero
    variants (JPEG + WebP), made here, once.

    Raises ValidationError (see ``image_open``) for anything but a readable JPEG, PNG or WebP
    within the limits; then, as on any failure here, no file is left behind.
    """
    written: list[str] = []
    try:
        with image_open(image) as img:
            fields = _files_write(img=img, listing_id=listing.pk, written=written)
        photo = Photo(listing=listing, caption=caption, position=position, **fields)
        photo.full_clean()
        photo.save()
    except BaseException:
        _files_delete(written)
        raise
    return photo


@transaction.atomic
def photo_update(*, photo: Photo, caption: str, position: int) -> Photo:
    """Change a photo's caption and place; its picture is changed by adding a new photo."""
    photo.caption, photo.position = caption, position
    photo.full_clean()
    photo.save(update_fields=["caption", "position"])
    return photo


@transaction.atomic
def photo_copy(*, listing: Listing, source: Photo, caption: str = "", position: int = 0) -> Photo:
    """A photo of ``listing`` showing the same picture as ``source``: the files are shared,
    not copied (``photo_delete`` removes a file only when no photo uses it any more)."""
    fields = {name: getattr(source, name) for name in PHOTO_FILE_FIELDS}
    photo = Photo(
        listing=listing,
        caption=caption,
        position=position,
        width=source.width,
        height=source.height,
        card_width=source.card_width,
        card_height=source.card_height,
        hero_width=source.hero_width,
        hero_height=source.hero_height,
        **fields,
    )
    photo.full_clean()
    photo.save()
    return photo


def photo_files_in_use(names: list[str]) -> set[str]:
    """Which of the storage ``names`` a photo still uses."""
    query = Q()
    for field in PHOTO_FILE_FIELDS:
        query |= Q(**{f"{field}__in": names})
    used = set()
    for row in Photo.objects.filter(query).values_list(*PHOTO_FILE_FIELDS):
        used.update(row)
    return used & set(names)


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    """Delete the photo and, once that commits, its files (those no other photo shares)."""
    names = [str(getattr(photo, field)) for field in PHOTO_FILE_FIELDS]
    names = [name for name in names if name]
    photo.delete()

    def delete_files():
        in_use = photo_files_in_use(names)
        _files_delete([name for name in names if name not in in_use])

    transaction.on_commit(delete_files)


def _stored_photo_files(folder: str = "listings"):
    try:
        dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:  # nothing uploaded yet (a bucket has no folders to miss)
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in dirs:
        yield from _stored_photo_files(f"{folder}/{sub}")


def photo_files_prune(*, older_than: datetime.timedelta, dry_run: bool = False) -> list[str]:
    """Delete the files under ``listings/`` in storage that no photo uses and that are older
    than ``older_than`` (younger ones may belong to an upload still being saved); return
    their names. What is left behind: the files of a listing an operator deleted, of an
    upload whose transaction rolled back after its files were written, of a failed delete.
    """
    cutoff = timezone.now() - older_than
    pruned = []
    batch: list[str] = []

    def flush():
        in_use = photo_files_in_use(batch)
        for name in batch:
            if name not in in_use and default_storage.get_modified_time(name) < cutoff:
                if not dry_run:
                    default_storage.delete(name)
                pruned.append(name)
        batch.clear()

    for name in _stored_photo_files():
        batch.append(name)
        if len(batch) >= 500:
            flush()
    flush()
    return pruned
