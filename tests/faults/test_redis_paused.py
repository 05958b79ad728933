"""Redis stops answering (paused, as an overloaded or failing-over server does) while a host
saves an edit: the content-version bump fails. When Redis answers again it still holds the
old version and the pages cached under it; none of them may be served as current."""

import pytest
from django.core.wsgi import get_wsgi_application
from django.test import override_settings

from listings.tests.factories import ListingFactory
from pivotdesk.pagecache import PageCache
from pivotdesk.tests.wsgi_util import wsgi_get

pytestmark = pytest.mark.redis


@pytest.fixture
def paused_redis_cache(redis_server):
    """The app's Redis cache settings, pointed at a server of our own the test can pause."""
    redis = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": redis_server.url,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
    }
    caches = {
        "default": {**redis, "OPTIONS": {**redis["OPTIONS"], "IGNORE_EXCEPTIONS": True}},
        "pages": redis,
    }
    # No pause after errors: each request asks Redis again (the breaker is not under test).
    with override_settings(CACHES=caches, PAGE_CACHE_RETRY_AFTER_ERROR_S=0):
        yield redis_server


@pytest.mark.django_db
def test_an_edit_saved_while_redis_hung_is_visible_once_redis_answers(
    paused_redis_cache, django_capture_on_commit_callbacks
):
    redis_server = paused_redis_cache
    listing = ListingFactory(title="Sunny desks on Pearl")
    app = PageCache(get_wsgi_application())
    path = listing.get_absolute_url()
    assert wsgi_get(app, path).header("X-Page-Cache") == "miss"
    assert wsgi_get(app, path).header("X-Page-Cache") == "hit"

    redis_server.pause()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            listing.title = "Renamed: quiet desks"
            listing.save()
        # While Redis is still silent, the page is rendered from the database.
        during = wsgi_get(app, path)
        assert during.status == 200 and "Renamed: quiet desks" in during.text
        assert during.header("X-Page-Cache") is None
    finally:
        redis_server.resume()

    # Redis answers again, with the old version and the old page: the owed bump comes first.
    after = wsgi_get(app, path)
    assert after.status == 200
    assert "Renamed: quiet desks" in after.text, after.header("X-Page-Cache")
    again = wsgi_get(app, path)
    assert again.header("X-Page-Cache") == "hit" and "Renamed: quiet desks" in again.text
