"""Photos in S3 (moto's server on a loopback port; never the internet)."""

import boto3
import pytest
from django.test import override_settings
from moto.server import ThreadedMotoServer

from listings.services import photo_create
from listings.tests.factories import ListingFactory, image_upload

pytestmark = pytest.mark.django_db

BUCKET = "pivotdesk-photos-test"
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    return client


def s3_settings(endpoint, **extra):
    # What pivotdesk/settings/base.py sets when AWS_STORAGE_BUCKET_NAME is given.
    return {
        "STORAGES": {
            "default": {"BACKEND": "storages.backends.s3.S3Storage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_QUERYSTRING_AUTH": False,
        "AWS_DEFAULT_ACL": None,
        "AWS_S3_FILE_OVERWRITE": False,
        "AWS_S3_OBJECT_PARAMETERS": {"CacheControl": IMMUTABLE},
        "AWS_S3_CUSTOM_DOMAIN": None,
        **extra,
    }


def test_photo_create_stores_original_and_variants_with_long_cache_headers(s3, s3_endpoint):
    with override_settings(**s3_settings(s3_endpoint)):
        photo = photo_create(listing=ListingFactory(), image=image_upload())
        names = [photo.image.name, photo.card_jpeg, photo.card_webp, photo.hero_jpeg]
        names.append(photo.hero_webp)
        for name in names:
            head = s3.head_object(Bucket=BUCKET, Key=name)
            assert head["CacheControl"] == IMMUTABLE
            assert head["ContentLength"] > 0
        assert head["ContentType"] == "image/webp"
        assert photo.card_url.startswith(f"{s3_endpoint}/{BUCKET}/")


def test_urls_use_the_custom_domain_when_set(s3, s3_endpoint):
    with override_settings(**s3_settings(s3_endpoint, AWS_S3_CUSTOM_DOMAIN="media.pivotdesk.test")):
        photo = photo_create(listing=ListingFactory(), image=image_upload())
        assert photo.card_url == f"https://media.pivotdesk.test/{photo.card_jpeg}"
        assert photo.hero_webp_url == f"https://media.pivotdesk.test/{photo.hero_webp}"
        assert s3.head_object(Bucket=BUCKET, Key=photo.hero_webp)["CacheControl"] == IMMUTABLE
