"""/media/ served by the app with DEBUG off: files only, nothing outside MEDIA_ROOT."""

import pytest
from django.conf import settings

from listings.services import photo_create
from listings.tests.factories import ListingFactory, image_upload
from pivotdesk.wsgi import application

from .wsgi_util import wsgi_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo():
    return photo_create(listing=ListingFactory(), image=image_upload(), caption="Main room")


def test_variants_are_served_with_debug_off_and_cached_for_a_year(photo):
    assert settings.DEBUG is False
    for name, content_type in ((photo.card_jpeg, "image/jpeg"), (photo.hero_webp, "image/webp")):
        response = wsgi_get(application, f"/media/{name}")
        assert response.status == 200
        assert response.header("Content-Type") == content_type
        assert response.header("Cache-Control") == "public, max-age=31536000, immutable"
        assert response.header("X-Page-Cache") is None
        assert len(response.body) > 1000


def test_originals_are_served_with_a_short_cache(photo):
    response = wsgi_get(application, f"/media/{photo.image.name}")
    assert response.status == 200
    assert "immutable" not in response.header("Cache-Control")
    assert response.header("Last-Modified")


def test_not_modified_since(photo):
    first = wsgi_get(application, f"/media/{photo.card_jpeg}")
    again = wsgi_get(
        application,
        f"/media/{photo.card_jpeg}",
        headers={"If-Modified-Since": first.header("Last-Modified")},
    )
    assert again.status == 304 and again.body == b""


@pytest.mark.parametrize(
    "path",
    [
        "/media/",
        "/media/listings/",
        "/media/listings/{listing}/variants/",
        "/media/listings/{listing}/variants",
        "/media/../secret.txt",
        "/media/listings/../../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/..%2fsecret.txt",
        "/media//etc/passwd",
        "/media/{root}/../secret.txt",
        "/media/listings/\x00.jpg",
        "/media/..\\secret.txt",
        "/media/.hidden",
        "/media/no-such-file.jpg",
    ],
)
def test_no_listing_and_no_way_out(photo, path, tmp_path, settings):
    media_root = tmp_path / "media"
    media_root.mkdir()
    (tmp_path / "secret.txt").write_text("do not serve")
    (media_root / ".hidden").write_text("do not serve")
    (media_root / "listings" / str(photo.listing_id) / "variants").mkdir(parents=True)
    settings.MEDIA_ROOT = str(media_root)
    path = path.format(listing=photo.listing_id, root=str(media_root).lstrip("/"))
    response = wsgi_get(application, path)
    assert response.status == 404, path
    assert b"do not serve" not in response.body


def test_only_safe_methods(photo):
    from django.core.files.storage import default_storage

    for method in ("DELETE", "PUT", "POST"):
        response = wsgi_get(application, f"/media/{photo.card_jpeg}", method=method)
        assert response.status in (403, 405)  # CSRF refuses first; the view allows GET/HEAD
    assert default_storage.exists(photo.card_jpeg)
    head = wsgi_get(application, f"/media/{photo.card_jpeg}", method="HEAD")
    assert head.status == 200


def test_a_deleted_file_is_no_longer_served(photo):
    variant = f"/media/{photo.card_webp}"
    assert wsgi_get(application, variant).status == 200
    photo.image.storage.delete(photo.card_webp)
    assert wsgi_get(application, variant).status == 404


def test_photos_are_sent_as_they_are_not_gzipped_again(photo):
    response = wsgi_get(
        application, f"/media/{photo.card_webp}", headers={"Accept-Encoding": "gzip"}
    )
    assert response.status == 200 and response.header("Content-Encoding") is None
    assert response.body[:4] == b"RIFF"  # the WebP file itself
