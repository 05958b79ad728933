"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

* The browser is the ``chromium`` on PATH (apt package); no browser is ever downloaded.
  Without it the tests skip, except in CI (``PIVOTDESK_REQUIRE_BROWSER=1``) where they fail.
* Every request that is not to the live server's loopback host is aborted (map tiles, fonts...).
* ``shot(page, "step")`` saves a screenshot under test-artifacts/screenshots/<test>/; a failing
  test also leaves a screenshot and the page's HTML there.
* ``log_in(page, email)`` logs a user in through the site's log-in form (``url="/host/"`` for
  the host admin's, ``url=None`` on a log-in page the test was sent to) and waits for the page
  after it; every test logs in with it.
* ``axe_violations(page)`` injects axe-core from node_modules (package-lock.json) and returns the
  serious and critical violations. axe is served from the page's own origin (a Playwright route),
  so the site's real Content-Security-Policy stays on; ``page_problems`` collects CSP violations
  and uncaught JavaScript errors from every page of the test.
"""

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
ARTIFACTS = BASE_DIR / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_JS = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
TIMEOUT_MS = 15_000
AXE_PATH = "/__browser-tests__/axe.min.js"  # never a real URL of the site


def _missing(reason):
    if os.environ.get("PIVOTDESK_REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (PIVOTDESK_REQUIRE_BROWSER is set, as in CI)")
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser():
    executable = shutil.which("chromium")
    if not executable:
        _missing("Debian's chromium is not installed: apt-get install chromium (.ci/run does)")
    # Playwright's sync API keeps an event loop in this thread; Django's ORM would refuse to
    # run next to it. The ORM calls here are plain, synchronous test setup. Only for this
    # package: the other tests keep Django's check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _block_the_internet(route):
    host = urlsplit(route.request.url).hostname or ""
    if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort()


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


@pytest.fixture
def page_problems():
    """CSP violations and uncaught JavaScript errors seen on any page of the test."""
    return []


def _watch(page, problems):
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: JS error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{page.url}: {msg.text}")
            if "Content Security Policy" in msg.text
            else None
        ),
    )


@pytest.fixture
def new_context(browser, live_server, request, page_problems):
    """Factory for browser contexts (a separate cookie jar each: guest, host...)."""
    contexts = []
    outdir = SCREENSHOTS / _slug(request.node.name)
    shutil.rmtree(outdir, ignore_errors=True)

    def make(**kwargs):
        kwargs.setdefault("base_url", live_server.url)
        kwargs.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.route("**/*", _block_the_internet)
        context.route(f"{live_server.url}{settings.MEDIA_URL}**", _serve_media)
        context.route(f"{live_server.url}{AXE_PATH}", _serve_axe)
        context.on("page", lambda page: _watch(page, page_problems))
        contexts.append(context)
        return context

    yield make

    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, context in enumerate(contexts):
        if failed:
            outdir.mkdir(parents=True, exist_ok=True)
            for j, page in enumerate(context.pages):
                stem = outdir / f"FAILED-context{i}-page{j}"
                try:
                    page.screenshot(path=f"{stem}.png", full_page=True)
                    Path(f"{stem}.html").write_text(page.content())
                    print(f"failure capture of {page.url}: {stem}.png and {stem}.html")
                except Exception as exc:  # a crashed page must not hide the real failure
                    Path(f"{stem}.txt").write_text(f"could not capture the page: {exc}")
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def shot(request):
    """shot(page, "02-boulder") saves a full-page screenshot for this test, in order."""
    outdir = SCREENSHOTS / _slug(request.node.name)
    counter = {"n": 0}

    def take(page, name):
        counter["n"] += 1
        outdir.mkdir(parents=True, exist_ok=True)
        path = outdir / f"{counter['n']:02d}-{_slug(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def axe_violations(page, name, impacts=("serious", "critical")):
    """Run axe-core on the page; save the full result; return the violations of ``impacts``."""
    if not AXE_JS.exists():
        _missing("axe-core is not installed: run `npm ci` (make test does)")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    page.add_script_tag(url=origin + AXE_PATH)
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return {violations: r.violations, url: r.url}; }"
    )
    outdir = ARTIFACTS / "axe"
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / f"{_slug(name)}.json").write_text(json.dumps(result, indent=2))
    return [v for v in result["violations"] if v["impact"] in impacts]


def describe(violations):
    lines = []
    for v in violations:
        targets = [", ".join(node["target"]) for node in v["nodes"][:5]]
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} -> {targets}")
    return "\n".join(lines)


def assert_no_horizontal_scroll(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate(
            """(w) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w + 1)
                .slice(0, 8)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""",
            width,
        )
        pytest.fail(f"{page.url}: {scroll_width}px wide at {width}px; too wide: {wide}")


def _serve_axe(route):
    route.fulfill(path=str(AXE_JS), content_type="application/javascript")


def _serve_media(route):
    """The live server doesn't serve MEDIA_ROOT (DEBUG is off): hand photos over from disk."""
    path = urlsplit(route.request.url).path
    file = Path(settings.MEDIA_ROOT) / path.removeprefix(settings.MEDIA_URL).lstrip("/")
    if ".." not in path and file.is_file():
        route.fulfill(path=str(file))
    else:
        route.fulfill(status=404, body="not found")


HOST_EMAIL = "maya@flatiron-robotics.test"
GUEST_EMAIL = "sam@tinyteam.test"
PASSWORD = "correct-horse-battery"  # the factories' password
LOG_IN_PAGE = re.compile(r"/login/")


def log_in(page, email, password=PASSWORD, *, url="/accounts/login/"):
    """Log ``email`` in through the form at ``url``: the site's log-in page, or the host
    admin's ("/host/" redirects to it, and back after); ``None`` for the log-in page the
    browser is on already (sent there with ``?next=``). Returns once the browser has left
    the log-in page, so a wrong password fails here, on the form's own error."""
    from playwright.sync_api import expect

    if url is not None:
        page.goto(url)
    page.get_by_label(re.compile("Email", re.I)).fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(page).not_to_have_url(LOG_IN_PAGE)


@pytest.fixture
def site_data(transactional_db):
    """Boulder and Denver, amenities, a host with published spaces (one with a photo)."""
    from accounts.tests.factories import HostFactory
    from listings.models import Listing
    from listings.services import photo_create
    from listings.tests.factories import (
        AmenityFactory,
        CityFactory,
        ListingFactory,
        NeighborhoodFactory,
        image_upload,
    )

    boulder = CityFactory(name="Boulder")
    denver = CityFactory(name="Denver", intro="Desks a block from Union Station.")
    pearl = NeighborhoodFactory(city=boulder, name="Pearl Street")
    nobo = NeighborhoodFactory(city=boulder, name="NoBo")
    lodo = NeighborhoodFactory(city=denver, name="LoDo")
    wifi = AmenityFactory(name="Fast Wi-Fi")
    coffee = AmenityFactory(name="Coffee")
    host = HostFactory(email=HOST_EMAIL, name="Maya Chen", company="Flatiron Robotics")
    star = ListingFactory(
        host=host,
        neighborhood=pearl,
        title="Sunny loft on Pearl Street",
        slug="sunny-loft-on-pearl",
        space_type=Listing.SpaceType.DEDICATED_DESK,
        desks=8,
        price_per_desk=350,
    )
    star.amenities.set([wifi, coffee])
    photo_create(listing=star, image=image_upload(size=(1600, 1066)), caption="The loft")
    others = [
        ListingFactory(
            host=host,
            neighborhood=nobo,
            title="Quiet hot desks in NoBo",
            space_type=Listing.SpaceType.HOT_DESK,
            desks=4,
            price_per_desk=220,
        ),
        ListingFactory(
            neighborhood=pearl,
            title="Private office above the mall",
            space_type=Listing.SpaceType.PRIVATE_OFFICE,
            desks=5,
            price_per_desk=900,
        ),
        ListingFactory(neighborhood=lodo, title="LoDo brick and beam", desks=12),
    ]
    others[0].amenities.set([wifi])
    return {"host": host, "listing": star, "others": others, "boulder": boulder}
