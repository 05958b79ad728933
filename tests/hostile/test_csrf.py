"""CSRF is enforced on every POST the site accepts: a forged form is refused with 403.

The URL list is walked from the URLconf, so a view added later (and accidentally
``csrf_exempt``) is caught without touching this file.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Admin sites are Django's own (CSRF-protected); their login and one change page are checked below.
SKIP_NAMESPACES = {"admin", "host"}
# Views that take a POST with no session by design, each with what protects it instead: they
# must still refuse a POST without their own proof.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: the mail provider POSTs; the signed token is the proof.
    "/accounts/searches/unsubscribe/1/": {400},
}


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            if ns in SKIP_NAMESPACES:
                continue
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _fill(route, world):
    """A concrete path for a route, with real slugs and ids the user is allowed to see."""
    values = {
        "city": world["listing_a"].city.slug,
        "slug": world["listing_a"].slug,
    }

    def sub(match):
        name = match.group(2)
        if name in values:
            return values[name]
        return str(world.get(f"pk:{name}", 1))

    path = re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)
    path = path.lstrip("^").rstrip("$")
    return "/" + path.lstrip("/")


def _routes(world):
    routes = sorted({_fill(route, world) for route, _ in _walk(get_resolver().url_patterns)})
    assert "/" in routes and "/spaces/boulder/a-space/" in routes
    return routes + ["/host/login/", "/admin/login/"]


@pytest.mark.parametrize("as_user", ["anonymous", "guest", "host"])
def test_every_post_without_a_csrf_token_is_refused(world, as_user):
    client = Client(enforce_csrf_checks=True)
    if as_user != "anonymous":
        client.force_login(world["guest"] if as_user == "guest" else world["host_a"])
    accepted = {}
    for path in _routes(world):
        response = client.post(path, {"email": "x@example.test", "body": "hi", "desks": "1"})
        if response.status_code not in {403, 404, 405} | CSRF_EXEMPT.get(path, set()):
            accepted[path] = response.status_code
    assert not accepted, f"POSTs accepted without a CSRF token: {accepted}"


def test_host_admin_change_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["host_a"])
    listing = world["listing_a"]
    for url in (
        f"/host/listings/listing/{listing.pk}/change/",
        f"/host/listings/listing/{listing.pk}/delete/",
        "/host/listings/listing/add/",
        "/accounts/logout/",
    ):
        response = client.post(url, {"title": "forged", "post": "yes"})
        assert response.status_code in {403, 404}, (url, response.status_code)
    listing.refresh_from_db()
    assert listing.title != "forged"
    assert listing.status == listing.Status.PUBLISHED


def test_a_real_form_with_its_token_is_accepted(world):
    """The check above is not vacuous: the same client with a token gets through."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "guest@guests.test", "password": "correct-horse-battery"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 302
