"""The admin and the home page in a real browser under the Content-Security-Policy.

Chromium reports every blocked script, style or image as a `securitypolicyviolation` event;
there must be none, and the admin's JavaScript widgets must still work.
"""

import shutil

import pytest

from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def page(live_server, monkeypatch):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("needs Debian's chromium on PATH")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop; Django's async-safety guard must allow the
    # live server's database work from this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context()
        context.add_init_script(COLLECT_VIOLATIONS)
        # Only the live server: map tiles and the like are not fetched from the internet.
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(live_server.url)
                else route.abort()
            ),
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def violations(page) -> list[str]:
    return page.evaluate("window.__csp")


@pytest.fixture
def operator(transactional_db):
    # Made before Playwright starts: ORM calls next to its event loop would use a connection
    # of their own that nobody closes.
    return UserFactory(email="ops@pivotdesk.test", is_staff=True, is_superuser=True)


def test_admin_login_and_widgets_work_under_the_policy(operator, page, live_server):
    response = page.goto(f"{live_server.url}/admin/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#id_username", "ops@pivotdesk.test")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert violations(page) == []

    # filter_horizontal: SelectFilter2.js rebuilds the permissions <select> into two boxes.
    page.goto(f"{live_server.url}/admin/auth/group/add/")
    page.wait_for_selector("#id_permissions_from")
    page.fill("#id_name", "Hosts")
    page.select_option("#id_permissions_from", index=0)
    page.click("#id_permissions_add")
    assert page.locator("#id_permissions_to option").count() == 1
    assert violations(page) == []


def test_home_page_has_no_policy_violations(transactional_db, page, live_server):
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("load")
    # The stylesheet applied (a blocked one would leave the page unstyled).
    assert page.evaluate("document.styleSheets.length") >= 1
    assert violations(page) == []
