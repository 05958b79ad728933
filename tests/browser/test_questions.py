"""Questions before booking in a real browser: a visitor asks the host from the listing page
(logging in on the way), the host answers from the email's link, the guest reads the answer."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from .conftest import HOST_EMAIL, axe_violations, describe, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _no_serious_a11y(page, name):
    found = axe_violations(page, name)
    assert not found, f"{name} {page.url}\n{describe(found)}"


def _path(url):
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_guest_asks_the_host_answers_from_the_email(
    new_context, site_data, shot, page_problems, run_jobs
):
    from accounts.tests.factories import UserFactory

    asker = UserFactory(email="asker@example.test", name="Ada Asker")
    listing = site_data["listing"]

    # 1. From the listing page (anonymous), the link leads through the login to the form.
    guest = new_context().new_page()
    guest.goto(listing.get_absolute_url())
    guest.get_by_role("link", name="Ask the host a question").click()
    log_in(guest, asker.email, url=None)
    expect(guest.get_by_role("heading", level=1)).to_contain_text("Ask the host of")
    _no_serious_a11y(guest, "questions-ask")
    guest.get_by_label("Your question").fill("Is there bike parking?")
    guest.get_by_role("button", name="Send to the host").click()
    expect(guest).to_have_url(re.compile(r"/questions/\d+/$"))
    expect(guest.locator(".thread")).to_contain_text("Is there bike parking?")
    shot(guest, "asked")
    _no_serious_a11y(guest, "questions-thread")

    # 2. The worker emails the host a link to the conversation.
    run_jobs()
    [to_host] = [m for m in mail.outbox if HOST_EMAIL in m.to]
    link = re.search(r"https?://\S+/questions/\d+/#m\d+", to_host.body).group(0)

    # 3. The host follows it (logging in), answers there.
    host = new_context().new_page()
    host.goto(_path(link))
    log_in(host, HOST_EMAIL, url=None)
    expect(host.locator(".thread")).to_contain_text("Is there bike parking?")
    host.get_by_label("Your message").fill("Yes: a locked room by the back door.")
    host.get_by_role("button", name="Send", exact=True).click()
    expect(host.locator(".thread")).to_contain_text("a locked room by the back door")

    # 4. The guest is emailed and reads the answer from their questions.
    mail.outbox.clear()
    run_jobs()
    [to_guest] = mail.outbox
    assert to_guest.to == [asker.email] and "locked room" in to_guest.body
    guest.get_by_role("link", name="Questions", exact=True).click()
    expect(guest.get_by_role("heading", level=1)).to_have_text("Your questions")
    expect(guest.locator("main")).to_contain_text("Waiting for your reply")
    _no_serious_a11y(guest, "questions-list")
    guest.get_by_role("link", name=listing.title).click()
    expect(guest.locator(".thread")).to_contain_text("a locked room by the back door")
    shot(guest, "answered")
    assert page_problems == []
