"""Redis stops answering (paused, as an overloaded or failing-over server does) while a host
saves an edit: the content-version bump fails. When Redis answers again it still holds the
old version and the pages cached under it; none of them may be served as current."""

import pytest
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.test import override_settings

from listings.tests.factories import ListingFactory
from pivotdesk import pagecache
from pivotdesk.pagecache import PageCache
from pivotdesk.tests.wsgi_util import wsgi_get

pytestmark = pytest.mark.redis


@pytest.fixture
def paused_redis_cache(redis_server):
    """The app's own Redis cache settings, pointed at a server the test can pause."""
    base = settings.CACHES["default"]
    if "redis" not in base["BACKEND"]:
        base = {"BACKEND": "django_redis.cache.RedisCache", "KEY_PREFIX": "pd"}
    caches = {
        "default": {
            **base,
            "LOCATION": redis_server.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        }
    }
    caches["default"]["OPTIONS"]["IGNORE_EXCEPTIONS"] = True
    pagecache._down_until, pagecache._failures = 0.0, 0
    with override_settings(CACHES=caches, DJANGO_REDIS_IGNORE_EXCEPTIONS=True):
        yield redis_server
    pagecache._bump_owed.clear()
    pagecache._down_until, pagecache._failures = 0.0, 0


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
        assert pagecache._bump_owed.is_set()
        # While Redis is still silent, the page is rendered from the database.
        pagecache._down_until = 0.0
        during = wsgi_get(app, path)
        assert during.status == 200 and "Renamed: quiet desks" in during.text
    finally:
        redis_server.resume()

    pagecache._down_until = 0.0  # past the breaker's pause
    after = wsgi_get(app, path)
    assert after.status == 200
    assert "Renamed: quiet desks" in after.text, after.header("X-Page-Cache")
    assert not pagecache._bump_owed.is_set()
    # The page is cached again, under the new version.
    again = wsgi_get(app, path)
    assert again.header("X-Page-Cache") == "hit" and "Renamed: quiet desks" in again.text
