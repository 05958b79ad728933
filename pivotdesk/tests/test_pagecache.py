"""The page cache, through real WSGI calls of the composed application.

A hit must not reach Django (counted) nor the database (0 queries); an edit must show on
the next request; anonymous pages are shareable by a CDN, logged-in pages never shared.
"""

import gzip
import socket
import threading
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import connection, connections
from django.http import QueryDict
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from listings import cards
from listings.models import Listing
from listings.services import photo_create
from listings.tests.factories import AmenityFactory, ListingFactory, image_upload
from pivotdesk import pagecache
from pivotdesk.pagecache import PageCache, normalized_query, page_params, storable

from .wsgi_util import CountingApp, wsgi_get


@pytest.fixture
def django_app():
    return CountingApp(get_wsgi_application())


@pytest.fixture
def app(django_app):
    return PageCache(django_app)


@pytest.fixture
def listing(db):
    listing = ListingFactory(title="Sunny desks on Pearl")
    photo_create(listing=listing, image=image_upload(), caption="Main room")
    return listing


def cacheable_urls(listing):
    city = listing.city.slug
    return [
        ("/", ""),
        (f"/spaces/{city}/", ""),
        (f"/spaces/{city}/{listing.slug}/", ""),
        ("/spaces/", f"city={city}&type=dedicated_desk&min_price=100"),
        ("/sitemap.xml", ""),
    ]


def warm(app, path, query=""):
    first = wsgi_get(app, path, query=query)
    assert first.status == 200, first.text[:500]
    assert first.header("X-Page-Cache") == "miss"
    return first


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(5), ids=["home", "search", "city", "detail", "sitemap"])
def test_second_anonymous_request_runs_no_sql_and_skips_django(app, django_app, listing, index):
    path, query = cacheable_urls(listing)[index]
    first = warm(app, path, query)
    calls = django_app.calls
    with CaptureQueriesContext(connection) as queries:
        second = wsgi_get(app, path, query=query)
    assert len(queries) == 0
    assert django_app.calls == calls
    assert second.status == 200
    assert second.header("X-Page-Cache") == "hit"
    assert second.body == first.body
    assert second.header("Content-Type") == first.header("Content-Type")


@pytest.mark.django_db
def test_hit_replays_the_security_headers_django_set(app, listing):
    first = warm(app, "/")
    second = wsgi_get(app, "/")
    for name in ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert first.header(name)
        assert second.header(name) == first.header(name)


@pytest.mark.django_db
def test_parameters_a_page_does_not_read_share_its_one_copy(app, django_app, listing):
    city = f"/spaces/{listing.city.slug}/"
    warm(app, city)
    calls = django_app.calls
    for junk in ("zz=1", "zz=2&utm_source=twitter", "fbclid=xyz&city=denver", "page=3"):
        assert wsgi_get(app, city, query=junk).header("X-Page-Cache") == "hit", junk
    assert django_app.calls == calls


@pytest.mark.django_db
def test_search_parameters_are_keyed_as_the_page_reads_them(app, django_app, listing):
    city = listing.city.slug
    warm(app, "/spaces/", f"type=dedicated_desk&city={city}&amenities=b&amenities=a")
    calls = django_app.calls
    same = [  # order, duplicates of a repeatable one, empty values, junk
        f"amenities=a&city={city}&amenities=b&type=dedicated_desk&zz=1",
        f"city={city}&amenities=b&amenities=a&amenities=a&type=dedicated_desk&q=",
        f"city=denver&city={city}&type=dedicated_desk&amenities=a&amenities=b",  # the last
    ]
    for query in same:
        assert wsgi_get(app, "/spaces/", query=query).header("X-Page-Cache") == "hit", query
    assert django_app.calls == calls
    different = [
        f"city={city}&city=denver&type=dedicated_desk&amenities=a&amenities=b",
        f"city={city}&type=dedicated_desk&amenities=a",
        f"city={city}&type=%20dedicated_desk&amenities=a&amenities=b",
    ]
    for query in different:
        assert wsgi_get(app, "/spaces/", query=query).header("X-Page-Cache") == "miss", query
    assert django_app.calls == calls + 3


def test_normalized_query_keeps_what_the_page_reads():
    query = QueryDict("zz=1&q=%20desk&amenities=b&amenities=a&amenities=b&city=&page=2&page=3")
    assert normalized_query(query, ("q", "amenities*", "city", "page")) == (
        "amenities=a&amenities=b&page=3&q=+desk"
    )


@pytest.mark.django_db
def test_head_is_answered_from_the_get_copy_without_a_body(app, django_app, listing):
    first = warm(app, "/")
    calls = django_app.calls
    head = wsgi_get(app, "/", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.header("Content-Length") == str(len(first.body))
    assert django_app.calls == calls


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(4), ids=["home", "search", "city", "detail"])
def test_gzipped_and_plain_copies_are_kept_apart(app, django_app, listing, index):
    path, query = cacheable_urls(listing)[index]
    gz = {"Accept-Encoding": "gzip, deflate, br"}
    miss, hit = (wsgi_get(app, path, query=query, headers=gz) for _ in range(2))
    plain = [wsgi_get(app, path, query=query) for _ in range(2)]
    kinds = [r.header("X-Page-Cache") for r in (miss, hit, *plain)]
    assert kinds == ["miss", "hit", "miss", "hit"] and django_app.calls == 2
    for response in (miss, hit):
        assert response.header("Content-Encoding") == "gzip"
        assert response.header("Content-Length") == str(len(response.body))
        assert gzip.decompress(response.body) == plain[1].body
    assert plain[1].header("Content-Encoding") is None
    for response in (miss, hit, *plain):  # a CDN keys on it; never on the cookie
        assert response.header("Vary") == "Accept-Encoding"


@pytest.mark.django_db
def test_a_small_page_is_kept_as_it_is(app, listing):
    small = wsgi_get(app, "/robots.txt", headers={"Accept-Encoding": "gzip"})
    again = wsgi_get(app, "/robots.txt", headers={"Accept-Encoding": "gzip"})
    assert again.header("X-Page-Cache") == "hit" and again.body == small.body
    assert again.header("Content-Encoding") is None and b"Sitemap" in again.body
    assert again.header("Vary") is None  # nothing to vary on: no empty header either


def edit_listing_title(listing):
    listing.title = "Renamed: quiet desks"
    listing.save()


def add_photo_first(listing):
    photo_create(listing=listing, image=image_upload(color=(10, 20, 30)), caption="New first")


def add_amenity(listing):
    listing.amenities.add(AmenityFactory(name="Standing desks"))


def rename_amenity(listing):
    amenity = AmenityFactory(name="Bike storage")
    listing.amenities.add(amenity)
    amenity.name = "Bike room"
    amenity.save()


def rename_neighborhood(listing):
    listing.neighborhood.name = "Downtown Boulder"
    listing.neighborhood.save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "edit",
    [edit_listing_title, add_photo_first, add_amenity, rename_amenity, rename_neighborhood],
)
def test_an_edit_is_visible_on_the_next_request(
    app, django_app, listing, edit, django_capture_on_commit_callbacks
):
    detail = listing.get_absolute_url()
    for path in ("/", detail):
        warm(app, path)
        assert wsgi_get(app, path).header("X-Page-Cache") == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        edit(Listing.objects.get(pk=listing.pk))
    for path in ("/", detail):
        calls = django_app.calls
        after = wsgi_get(app, path)
        assert after.header("X-Page-Cache") == "miss", path
        assert django_app.calls == calls + 1
        assert wsgi_get(app, path).header("X-Page-Cache") == "hit"
    page = wsgi_get(app, detail).text
    if edit is edit_listing_title:
        assert "Renamed: quiet desks" in page
    elif edit is rename_neighborhood:
        assert "Downtown Boulder" in page


@pytest.mark.django_db
def test_anonymous_pages_set_no_cookie_no_vary_cookie_and_are_public(app, listing):
    for path, query in cacheable_urls(listing)[:4]:
        for response in (wsgi_get(app, path, query=query), wsgi_get(app, path, query=query)):
            assert response.status == 200
            assert response.all("Set-Cookie") == []
            assert "cookie" not in (response.header("Vary") or "").lower()
            cache_control = response.header("Cache-Control")
            assert "public" in cache_control and "s-maxage=" in cache_control
            assert "stale-while-revalidate=" in cache_control


@pytest.mark.django_db
def test_logged_in_pages_are_private_and_never_shared(app, django_app, listing):
    user = UserFactory(name="Ada Lovelace-Byron")
    client = Client()
    client.force_login(user)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}

    anonymous = warm(app, "/")
    assert "Ada Lovelace-Byron" not in anonymous.text
    calls = django_app.calls
    mine = wsgi_get(app, "/", cookies=cookies)
    assert django_app.calls == calls + 1  # never the anonymous copy
    assert "Ada Lovelace-Byron" in mine.text
    assert "private" in mine.header("Cache-Control")
    assert "public" not in mine.header("Cache-Control")
    assert mine.header("X-Page-Cache") is None

    # Their page is never stored: after the version changes, anonymous visitors render anew
    # and never see the logged-in page.
    pagecache.content_version_bump()
    mine_again = wsgi_get(app, "/", cookies=cookies)
    assert "Ada Lovelace-Byron" in mine_again.text
    after = wsgi_get(app, "/")
    assert after.header("X-Page-Cache") == "miss"
    assert "Ada Lovelace-Byron" not in after.text
    assert "Ada Lovelace-Byron" not in wsgi_get(app, "/").text


@pytest.mark.django_db
def test_logged_in_visitors_reuse_cached_listing_cards(app, listing):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    response = wsgi_get(app, "/", cookies=cookies)
    assert response.status == 200
    version = pagecache.content_version()
    listing.refresh_from_db()
    key = cards.card_key(listing, version=version)
    assert cache.get(key) is not None and listing.title in cache.get(key)


@pytest.mark.django_db
def test_a_new_photo_shows_on_cards_for_logged_in_visitors(
    app, listing, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(UserFactory())
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    old = listing.photos.get()
    assert old.card_url in wsgi_get(app, "/", cookies=cookies).text
    with django_capture_on_commit_callbacks(execute=True):
        old.position = 5
        old.save()
        new = photo_create(listing=listing, image=image_upload(color=(1, 2, 3)), position=0)
    page = wsgi_get(app, "/", cookies=cookies).text
    assert new.card_url in page and old.card_url not in page


@pytest.mark.django_db
def test_beta_gate_credentials_make_the_copy_private(app, listing):
    warm(app, "/")
    gated = wsgi_get(app, "/", headers={"Authorization": "Basic YmV0YTpiZXRh"})
    assert gated.header("X-Page-Cache") == "hit"
    assert gated.header("Cache-Control") == "private, max-age=0"


@pytest.mark.django_db
def test_bad_host_gets_400_even_when_the_page_is_cached(app, listing):
    warm(app, "/")
    bad = wsgi_get(app, "/", headers={"Host": "evil.example"})
    assert bad.status == 400
    assert bad.header("X-Page-Cache") is None


@pytest.mark.django_db
def test_a_query_django_refuses_is_its_400_never_a_500(app, django_app, listing):
    flood = "&".join(f"a{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    for _ in range(2):
        response = wsgi_get(app, "/spaces/", query=flood)
        assert response.status == 400 and response.header("X-Page-Cache") is None
    assert django_app.calls == 2


@pytest.mark.django_db
def test_http_request_never_gets_the_https_copy(app, django_app, listing):
    # gunicorn sets the scheme from a trusted proxy's X-Forwarded-Proto (gunicorn.conf.py);
    # the header alone, from anyone, changes nothing.
    https = {"wsgi.url_scheme": "https"}
    assert wsgi_get(app, "/", environ=https).header("X-Page-Cache") == "miss"
    assert wsgi_get(app, "/", environ=https).header("X-Page-Cache") == "hit"
    forged = wsgi_get(app, "/", headers={"X-Forwarded-Proto": "https"})
    assert forged.header("X-Page-Cache") == "miss"
    assert wsgi_get(app, "/").header("X-Page-Cache") == "hit"


@pytest.mark.django_db
def test_only_plain_200_pages_are_stored(app, django_app, listing):
    missing = f"/spaces/{listing.city.slug}/no-such-space/"
    assert wsgi_get(app, missing).status == 404
    calls = django_app.calls
    assert wsgi_get(app, missing).status == 404
    assert django_app.calls == calls + 1


@pytest.mark.parametrize(
    "headers",
    [
        [("Set-Cookie", "csrftoken=abc; Path=/")],
        [("Cache-Control", "private")],
        [("Cache-Control", "no-store")],
        [("Vary", "Accept-Language")],
        [("Vary", "Accept-Encoding, Cookie")],
    ],
)
def test_personal_or_varying_responses_are_not_storable(headers):
    environ = {"REQUEST_METHOD": "GET"}
    assert storable(environ, "200 OK", [("Content-Type", "text/html")], b"x")
    assert not storable(environ, "200 OK", [("Content-Type", "text/html"), *headers], b"x")
    assert not storable({"REQUEST_METHOD": "POST"}, "200 OK", [], b"x")
    assert not storable(environ, "302 Found", [], b"")


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/readyz",
        "/static/css/pivotdesk.css",
        "/media/listings/1/a.jpg",
        "/accounts/login/",
        "/host/",
        "/admin/",
        "/bookings/",
        "/bookings/3/",
        "/spaces/boulder/sunny/book/",
    ],
)
def test_private_and_operational_paths_are_never_page_cached(path):
    assert page_params(path) is None


@pytest.mark.parametrize(
    "path",
    ["/", "/spaces/", "/spaces/boulder/", "/spaces/boulder/x/", "/sitemap.xml", "/robots.txt"],
)
def test_public_pages_are_page_cached(path):
    assert page_params(path) is not None


@pytest.mark.django_db
def test_the_composed_wsgi_application_serves_hits():
    from pivotdesk.wsgi import application

    ListingFactory()
    assert wsgi_get(application, "/").status == 200
    assert wsgi_get(application, "/").header("X-Page-Cache") == "hit"


def test_login_clears_the_browser_copy_of_anonymous_pages(db):
    user = UserFactory(email="ada@example.test")
    response = Client().post(
        "/accounts/login/", {"username": "ada@example.test", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302, response.content[:300]
    assert response.cookies[settings.SESSION_COOKIE_NAME].value
    assert response["Clear-Site-Data"] == '"cache"'
    assert user.pk


# --- Stampede -----------------------------------------------------------------------------


def concurrent_gets(app, path, n):
    barrier = threading.Barrier(n)
    results = [None] * n

    def visit(i):
        try:
            barrier.wait(timeout=10)
            results[i] = wsgi_get(app, path)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visit, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.django_db(transaction=True)
@override_settings(PAGE_CACHE_WAIT_MS=15000, PAGE_CACHE_LOCK_MS=15000)
def test_a_cold_page_under_a_stampede_renders_once():
    listing = ListingFactory()
    connections.close_all()
    slow = CountingApp(get_wsgi_application(), before=lambda: time.sleep(0.5))
    app = PageCache(slow)
    results = concurrent_gets(app, listing.get_absolute_url(), 8)
    assert slow.calls == 1
    assert all(r.status == 200 for r in results)
    assert len({r.body for r in results}) == 1
    assert sorted(r.header("X-Page-Cache") for r in results) == ["hit"] * 7 + ["miss"]


@pytest.mark.django_db(transaction=True)
@override_settings(PAGE_CACHE_WAIT_MS=15000, PAGE_CACHE_LOCK_MS=15000)
def test_an_invalidated_hot_page_renders_once_while_others_get_the_previous_copy():
    listing = ListingFactory(title="Before the edit")
    connections.close_all()
    slow = CountingApp(get_wsgi_application(), before=lambda: time.sleep(0.5))
    app = PageCache(slow)
    path = listing.get_absolute_url()
    assert wsgi_get(app, path).header("X-Page-Cache") == "miss"
    Listing.objects.filter(pk=listing.pk).update(title="After the edit")
    pagecache.content_version_bump()
    calls = slow.calls
    results = concurrent_gets(app, path, 8)
    assert slow.calls == calls + 1
    kinds = sorted(r.header("X-Page-Cache") for r in results)
    assert kinds == ["miss"] + ["stale"] * 7
    assert all(r.status == 200 for r in results)
    fresh = wsgi_get(app, path)
    assert fresh.header("X-Page-Cache") == "hit" and "After the edit" in fresh.text


# --- Redis down ------------------------------------------------------------------------


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cache_settings_at(port):
    """CACHES as settings/base.py builds them from REDIS_URL, at a port of the test's choice."""
    redis = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/1",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
    }
    return {
        "default": {**redis, "OPTIONS": {**redis["OPTIONS"], "IGNORE_EXCEPTIONS": True}},
        "pages": redis,
    }


@pytest.mark.django_db
def test_redis_down_pages_still_200(listing, django_capture_on_commit_callbacks):
    down = cache_settings_at(closed_port())
    with override_settings(CACHES=down, PAGE_CACHE_RETRY_AFTER_ERROR_S=0):
        django_app = CountingApp(get_wsgi_application())
        app = PageCache(django_app)
        for path in ("/", f"/spaces/{listing.city.slug}/", listing.get_absolute_url()):
            for _ in range(2):
                response = wsgi_get(app, path)
                assert response.status == 200
                assert response.header("X-Page-Cache") in (None, "miss")
        assert django_app.calls == 6
        # An edit while Redis is down still saves (the bump fails quietly).
        with django_capture_on_commit_callbacks(execute=True):
            edit_listing_title(listing)
        assert "Renamed: quiet desks" in wsgi_get(app, listing.get_absolute_url()).text


# --- Queue time ------------------------------------------------------------------------


def ms_ago(ms):
    return str(int(time.time() * 1000 - ms))


@pytest.mark.django_db
def test_a_request_that_queued_too_long_gets_503_at_once(app, django_app, listing):
    response = wsgi_get(
        app, f"/spaces/{listing.city.slug}/", headers={"X-Request-Start": ms_ago(15_000)}
    )
    assert response.status == 503
    assert response.header("Retry-After") == "5"
    assert response.header("Cache-Control") == "no-store"
    assert django_app.calls == 0
    # Not only pages: any path, and logged-in visitors too.
    late = wsgi_get(app, "/admin/login/", headers={"X-Request-Start": ms_ago(11_000)})
    assert late.status == 503
    assert django_app.calls == 0


@pytest.mark.django_db
def test_a_late_request_for_a_cached_page_still_gets_the_page(app, django_app, listing):
    warm(app, "/")
    calls = django_app.calls
    late = wsgi_get(app, "/", headers={"X-Request-Start": "t=" + ms_ago(12_000)})
    assert late.status == 200 and late.header("X-Page-Cache") == "hit"
    assert django_app.calls == calls


@pytest.mark.django_db
@override_settings(QUEUE_TIMEOUT_MS=2000)
def test_queue_limit_is_a_setting(app, listing):
    assert wsgi_get(app, "/admin/login/", headers={"X-Request-Start": ms_ago(3000)}).status == (503)
    assert wsgi_get(app, "/admin/login/", headers={"X-Request-Start": ms_ago(500)}).status == (200)


@pytest.mark.django_db
@pytest.mark.parametrize("garbage", ["abc", "t=", "t=abc", "-5", "0", "nan", "inf", "1e400", "12"])
def test_garbage_request_start_is_ignored(app, listing, garbage):
    response = wsgi_get(app, "/admin/login/", headers={"X-Request-Start": garbage})
    assert response.status == 200
    assert pagecache.queue_time_ms({"HTTP_X_REQUEST_START": garbage}) is None


def test_request_start_forms():
    now = 1_700_000_100.0
    assert pagecache.queue_time_ms({"HTTP_X_REQUEST_START": "1700000099750"}, now) == 250
    assert pagecache.queue_time_ms({"HTTP_X_REQUEST_START": "t=1700000099750"}, now) == 250
    assert pagecache.queue_time_ms({"HTTP_X_REQUEST_START": "t=1700000099750000"}, now) == 250
    assert pagecache.queue_time_ms({"HTTP_X_REQUEST_START": "t=1700000099.750"}, now) == 250
    assert pagecache.queue_time_ms({"HTTP_X_REQUEST_START": "t=1700000101000"}, now) == 0
    assert pagecache.queue_time_ms({"HTTP_X_REQUEST_START": "1600000000000"}, now) is None
    assert pagecache.queue_time_ms({}, now) is None


# --- What Django routes and links on ---------------------------------------------------------


@pytest.mark.django_db
def test_a_script_prefix_never_stores_a_page_under_another_pages_key(app, listing):
    # As a proxy trusted to set SCRIPT_NAME would pass it: /spaces/ arrives as "/" under the
    # prefix /spaces, Django routes "/" (the home page) and prefixes its links.
    prefixed = wsgi_get(app, "/", script_name="/spaces")
    assert prefixed.status == 200 and 'href="/spaces/spaces/' in prefixed.text
    search = wsgi_get(app, "/spaces/")
    assert search.header("X-Page-Cache") == "miss"
    home = wsgi_get(app, "/")
    assert home.header("X-Page-Cache") == "miss"
    for page in (search, home, wsgi_get(app, "/spaces/"), wsgi_get(app, "/")):
        assert "/spaces/spaces/" not in page.text
    assert "<form" in search.text and search.text != home.text


@pytest.mark.django_db
def test_cards_rendered_under_a_prefix_are_not_shown_without_it(listing):
    app = PageCache(get_wsgi_application())
    client = Client()
    client.force_login(UserFactory())
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    url = listing.get_absolute_url()
    for visitor in ({}, cookies):
        assert f'href="/x{url}"' in wsgi_get(app, "/", script_name="/x", cookies=visitor).text
        page = wsgi_get(app, "/", cookies=visitor).text
        assert f'href="{url}"' in page and "/x/" not in page


@pytest.mark.django_db
def test_a_new_release_starts_with_pages_of_its_own(app, listing):
    with override_settings(RELEASE_ID="v41"):
        warm(app, "/")
        assert wsgi_get(app, "/").header("X-Page-Cache") == "hit"
    with override_settings(RELEASE_ID="v42"):
        assert wsgi_get(app, "/").header("X-Page-Cache") == "miss"


@pytest.mark.django_db
def test_with_the_page_cache_off_every_request_renders(django_app, app, listing):
    with override_settings(PAGE_CACHE_ENABLED=False):
        for _ in range(2):
            response = wsgi_get(app, "/")
            assert response.status == 200 and response.header("X-Page-Cache") is None
    assert django_app.calls == 2
