"""A guest saves a search from the search page (logging in on the way), gets the alert when a
new space appears, and unsubscribes with the email's link; the pages pass axe and fit a phone."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from .conftest import GUEST_EMAIL, assert_no_horizontal_scroll, axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_save_a_search_get_the_alert_and_unsubscribe(
    new_context, site_data, shot, page_problems, run_jobs
):
    from accounts.tests.factories import UserFactory
    from alerts.models import SavedSearch
    from alerts.services import alerts_send
    from listings.tests.factories import ListingFactory

    UserFactory(email=GUEST_EMAIL, name="Sam Reyes", company="Tiny Team")
    page = new_context(viewport={"width": 375, "height": 812}, is_mobile=True).new_page()

    page.goto("/spaces/?city=boulder&type=hot_desk")
    page.get_by_role("button", name="Save this search and get email alerts").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    log_in(page, GUEST_EMAIL, url=None)

    expect(page.get_by_role("heading", level=1)).to_have_text("Save this search")
    expect(page.get_by_label("Name")).to_have_value("Boulder · Hot desk")
    assert axe_violations(page, "save-search") == []
    assert_no_horizontal_scroll(page, 375)
    page.get_by_label("Name").fill("Hot desks in Boulder")
    page.get_by_label("Weekly").check()
    page.get_by_role("button", name="Save search").click()

    expect(page).to_have_url(re.compile(r"/accounts/searches/$"))
    expect(page.get_by_role("row", name=re.compile("Hot desks in Boulder"))).to_contain_text(
        "Weekly"
    )
    shot(page, "saved-searches")
    assert axe_violations(page, "saved-searches") == []
    assert_no_horizontal_scroll(page, 375)
    saved = SavedSearch.objects.get()
    assert saved.query == "city=boulder&type=hot_desk"

    ListingFactory(
        neighborhood=site_data["others"][0].neighborhood,
        title="New hot desks by the creek",
        space_type="hot_desk",
    )
    assert alerts_send() == 1
    run_jobs()
    [email] = mail.outbox
    assert "New hot desks by the creek" in email.body
    link = re.search(r"http://\S+/accounts/searches/unsubscribe/\S+/", email.body).group(0)
    page.goto(urlsplit(link).path)  # the live server, not SITE_URL
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribed")
    saved.refresh_from_db()
    assert saved.frequency == SavedSearch.Frequency.OFF
    assert page_problems == []
