"""The repo's VCL in a real varnishd in front of a real gunicorn: what it keeps, what it
never shares, a host's edit purged by tag, purges only from the configured addresses, and
stale copies while the origin is down."""

import http.client

import pytest
from django.test import Client

from listings.services import listing_update

pytestmark = [pytest.mark.slow]


def purge_from(varnish, source: str, method: str = "PURGE", **headers):
    """A PURGE sent from ``source`` (any 127.x address is this machine's loopback)."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", varnish.port, timeout=10, source_address=(source, 0)
    )
    try:
        conn.request(method, "/", headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def assert_hit(response):
    assert response.status_code == 200, response.status_code
    assert response.headers["X-Cache"] == "HIT", response.headers
    assert int(response.headers["Age"]) >= 0


def test_anonymous_pages_are_kept_and_shared_whatever_a_client_sends(varnish, committed_site):
    first = committed_site["listings"][0]
    pages = [
        "/",
        "/spaces/boulder/",
        "/spaces/?city=boulder",
        first.get_absolute_url(),
        "/robots.txt",
    ]
    for path in pages:
        miss = varnish.get(path)
        assert miss.status_code == 200, (path, varnish.logs())
        assert miss.headers["X-Cache"] == "MISS", path
        assert "public" in miss.headers["Cache-Control"]
        # The tags are Varnish's own: they never reach a visitor.
        assert "Surrogate-Key" not in miss.headers and "xkey" not in miss.headers
        assert_hit(varnish.get(path))
    # A search form's empty fields, in any order: the copy the link made.
    assert_hit(varnish.get("/spaces/?type=&city=boulder&q=&amenities="))
    assert varnish.get("/spaces/?city=boulder&type=hot_desk").headers["X-Cache"] == "MISS"

    path = first.get_absolute_url()
    # Campaign parameters, cookies that are not a session, a client's no-cache or its own tag
    # header: the same shared copy, and nothing stored under another key.
    for extra in (
        {"params": {"utm_source": "x", "utm_campaign": "y", "fbclid": "f", "gclid": "g"}},
        {"headers": {"Cookie": "csrftoken=abc; _ga=GA1.2.3"}},
        {"headers": {"Cache-Control": "no-cache", "Pragma": "no-cache"}},
        {"headers": {"Surrogate-Key": "all", "xkey": "all"}},
    ):
        assert_hit(varnish.get(path, **extra))


def test_a_logged_in_request_is_never_served_a_shared_copy_nor_stored(varnish, committed_site):
    first, second = committed_site["listings"][:2]
    client = Client()
    client.force_login(first.host)
    cookie = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}

    # A copy kept for visitors is not what a logged-in host is served.
    varnish.get(first.get_absolute_url())
    assert_hit(varnish.get(first.get_absolute_url()))
    for _ in range(2):
        mine = varnish.get(first.get_absolute_url(), headers=cookie)
        assert mine.status_code == 200
        assert mine.headers["X-Cache"] == "MISS"
        assert "private" in mine.headers["Cache-Control"]

    # What a logged-in request fetched is not kept for the next visitor.
    assert varnish.get(second.get_absolute_url(), headers=cookie).headers["X-Cache"] == "MISS"
    assert varnish.get(second.get_absolute_url()).headers["X-Cache"] == "MISS"
    # Nor is anything under the personal paths, logged in or not.
    for path in ("/accounts/login/", "/healthz", "/readyz"):
        varnish.get(path)
        assert varnish.get(path).headers["X-Cache"] == "MISS", path


def test_a_hosts_edit_shows_at_once_and_unrelated_pages_stay_kept(
    varnish, committed_site, settings, run_jobs
):
    settings.CDN_PURGE = "varnish"
    settings.CDN_PURGE_URLS = [varnish.base_url + "/"]
    boulder = committed_site["listings"][0]
    denver = committed_site["listings"][-1]
    for path in (boulder.get_absolute_url(), denver.get_absolute_url(), "/spaces/boulder/"):
        varnish.get(path)
        assert_hit(varnish.get(path))

    listing_update(listing=boulder, data={"title": "Sunny corner by the creek"})
    run_jobs()  # the worker: the purge job the edit wrote in its transaction

    edited = varnish.get(boulder.get_absolute_url())
    assert edited.headers["X-Cache"] == "MISS"
    assert "Sunny corner by the creek" in edited.text
    city = varnish.get("/spaces/boulder/")
    assert city.headers["X-Cache"] == "MISS" and "Sunny corner by the creek" in city.text
    assert_hit(varnish.get(denver.get_absolute_url()))  # another city's listing: kept


def test_purges_only_from_the_configured_addresses_with_well_formed_tags(varnish, committed_site):
    path = committed_site["listings"][0].get_absolute_url()
    varnish.get(path)
    assert_hit(varnish.get(path))

    assert purge_from(varnish, "127.0.0.2", **{"xkey-purge": "all"}) == 403
    assert purge_from(varnish, "127.0.0.2", **{"xkey-softpurge": "all"}) == 403
    assert purge_from(varnish, "127.0.0.2", method="BAN", **{"xkey-purge": "all"}) == 403
    assert varnish.get(path, headers={"xkey-purge": "all"}).headers["X-Cache"] == "HIT"
    assert purge_from(varnish, "127.0.0.1", **{"xkey-purge": "all; rm -rf"}) == 400
    assert purge_from(varnish, "127.0.0.1", **{"xkey-purge": ""}) == 400
    assert_hit(varnish.get(path))

    assert purge_from(varnish, "127.0.0.1", **{"xkey-purge": "all"}) == 200
    assert varnish.get(path).headers["X-Cache"] == "MISS"


def test_with_the_origin_down_a_kept_page_still_answers(varnish, origin, committed_site):
    path = committed_site["listings"][0].get_absolute_url()
    fresh = varnish.get(path)
    assert_hit(varnish.get(path))

    # Stale (a soft purge keeps the copy for grace), then the origin stops.
    assert purge_from(varnish, "127.0.0.1", **{"xkey-softpurge": "all"}) == 200
    origin.__exit__(None, None, None)
    stale = varnish.get(path)
    assert stale.status_code == 200, varnish.logs()
    assert stale.text == fresh.text
