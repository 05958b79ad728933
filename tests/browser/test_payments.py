"""Money in a real browser, against localstripe and its Stripe.js mock: a guest saves a
card, the host approves, the guest reads the receipt, the host reads the statement."""

import re

import pytest
from playwright.sync_api import expect

from payments.tests.conftest import localstripe, localstripe_server  # noqa: F401

from .conftest import GUEST_EMAIL, HOST_EMAIL, axe_violations, describe, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_card_approval_receipt_and_statement(
    new_context,
    site_data,
    localstripe,  # noqa: F811
    run_jobs,
    shot,
    page_problems,  # noqa: F811
):
    from accounts.services import host_enable
    from accounts.tests.factories import UserFactory
    from bookings.tests.factories import BookingFactory

    listing = site_data["listing"]
    listing.deposit_months = 1  # set up as the host would in /host/
    listing.save(update_fields=["deposit_months"])
    guest = UserFactory(email=GUEST_EMAIL, name="Sam Okafor")
    booking = BookingFactory(listing=listing, guest=guest, desks=2, months=3)
    host_enable(user=site_data["host"])

    page = new_context().new_page()
    log_in(page, GUEST_EMAIL)
    page.goto(booking.get_absolute_url())
    page.get_by_role("link", name="Add a card").click()
    expect(page.get_by_role("heading", name="Your card for rent")).to_be_visible()
    page.get_by_placeholder("number").fill("4242424242424242")
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("30")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("80302")
    shot(page, "card")
    page.get_by_role("button", name="Save card").click()
    expect(page).to_have_url(re.compile(rf"/bookings/{booking.pk}/$"))
    expect(page.locator(".card-on-file")).to_contain_text("Visa ending 4242")

    host = new_context().new_page()
    log_in(host, HOST_EMAIL, url="/host/login/")
    host.goto(f"/host/bookings/booking/{booking.pk}/change/")
    expect(host.locator(".card-on-file")).to_contain_text("Card on file: Visa ending 4242")
    host.get_by_role("button", name="Approve", exact=True).click()
    run_jobs()  # the worker: the first month and the deposit, then the receipt

    page.goto(booking.get_absolute_url())
    expect(page.locator(".status-pay-paid")).to_have_text("Paid")
    page.get_by_role("link", name=re.compile(r"^PD-\d+$")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Invoice PD-\d+$"))).to_be_visible()
    expect(page.locator(".invoice-lines")).to_contain_text("$1,400.00")  # 2 x $350 + deposit
    shot(page, "invoice")

    host.goto("/host/payments/charge/statement/")
    expect(host.locator(".statement-totals")).to_contain_text("Rent collected")
    expect(host.locator(".statement-totals")).to_contain_text("$700.00")
    shot(host, "statement")
    assert page_problems == []


def test_a_payment_the_bank_must_confirm_is_paid_on_its_page(
    new_context,
    site_data,
    localstripe,  # noqa: F811
    run_jobs,
    shot,
    page_problems,  # noqa: F811
):
    """The monthly charge needs 3-D Secure off-session: the guest follows the emailed link,
    confirms in localstripe's Stripe.js window (``confirmCardPayment``), and the page shows
    the payment made."""
    from django.core import mail

    from accounts.tests.factories import UserFactory
    from payments.collect import booking_collect
    from payments.models import Charge
    from payments.tests.helpers import running_booking, save_card
    from payments.tests.localstripe import CARD_AUTHENTICATION_REQUIRED

    booking = running_booking(started_days_ago=3, months=3, deposit=0)
    booking.guest = UserFactory(email=GUEST_EMAIL, name="Sam Okafor")
    booking.save(update_fields=["guest"])
    save_card(localstripe, booking.guest, CARD_AUTHENTICATION_REQUIRED)
    booking_collect(booking_id=booking.pk, today=booking.start)
    run_jobs()
    (email,) = [m for m in mail.outbox if "confirm it with your bank" in m.subject]
    link = re.search(r"https?://\S+/pay/", email.body).group(0)
    path = "/" + link.split("/", 3)[3]

    page = new_context().new_page()
    log_in(page, GUEST_EMAIL, url=f"/accounts/login/?next={path}")
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    expect(page.locator(".pay-status")).to_have_text("Payment due: waiting for your bank")
    found = axe_violations(page, "pay")
    assert not found, describe(found)
    page.get_by_role("button", name="Confirm the payment of $700.00").click()
    shot(page, "bank-check")
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.locator(".pay-status")).to_contain_text("Paid,")
    expect(page.get_by_text("Thank you: your payment went through.")).to_be_visible()
    shot(page, "paid")
    charge = Charge.objects.get(booking=booking)
    assert charge.status == Charge.Status.PAID
    assert len(localstripe.get("/v1/payment_intents", limit=100)["data"]) == 1
    assert page_problems == []
