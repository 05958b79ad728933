"""The pages: saving a card, invoices, the host's release and deposit forms, statements."""

import csv
import datetime
import io
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import NOT_OPERATORS, UserFactory
from payments.collect import booking_collect
from payments.emails import payment_email_send
from payments.models import Charge, Customer, DepositSettlement
from payments.selectors import charges_visible_to
from teams.services import member_remove
from teams.tests.factories import TeamFactory, add_member

from .helpers import running_booking, save_card
from .localstripe import CARD_DECLINED_ON_CHARGE

pytestmark = pytest.mark.django_db(transaction=True)

# The invoice page: the session, its user, the charge with its booking, team and listing.
INVOICE_QUERIES = 3


@pytest.fixture
def paid(localstripe):
    """A booking that started 40 days ago ($700 a month, one month's deposit), its first
    month and deposit paid."""
    booking = running_booking(started_days_ago=40, months=1)
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=booking.start)
    return Charge.objects.get(booking=booking)


def test_card_page_loads_stripe_js_from_the_configured_stripe(client, localstripe):
    guest = UserFactory()
    client.force_login(guest)
    response = client.get(reverse("payments:card"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'src="{localstripe.base}/js.stripe.com/v3/"' in body
    assert 'data-client-secret="seti_' in body
    policy = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {localstripe.base}" in policy
    assert localstripe.base in policy.split("connect-src")[1].split(";")[0]


def test_saving_a_card_records_it_from_stripe_not_the_browser(client, localstripe):
    guest = UserFactory()
    client.force_login(guest)
    page = client.get(reverse("payments:card")).content.decode()
    secret = page.split('data-client-secret="')[1].split('"')[0]
    intent = localstripe.confirm_setup(secret)
    response = client.post(reverse("payments:card"), {"setup_intent": intent["id"]})
    assert response.status_code == 302
    customer = Customer.objects.get(user=guest)
    assert (customer.card_last4, customer.card_label) == ("4242", "Visa ending 4242")


@pytest.mark.parametrize("forged", ["", "seti_nope", "x" * 5000, "pi_123", "seti_%00"])
def test_a_forged_setup_intent_is_a_message_not_a_500(client, localstripe, forged):
    guest = UserFactory()
    client.force_login(guest)
    client.get(reverse("payments:card"))
    response = client.post(reverse("payments:card"), {"setup_intent": forged})
    assert response.status_code == 200
    assert b"does not belong to your account" in response.content
    assert not Customer.objects.get(user=guest).has_card


def test_another_guests_setup_intent_is_refused(client, localstripe):
    other, guest = UserFactory(), UserFactory()
    client.force_login(other)
    page = client.get(reverse("payments:card")).content.decode()
    secret = page.split('data-client-secret="')[1].split('"')[0]
    intent = localstripe.confirm_setup(secret)
    client.force_login(guest)
    client.get(reverse("payments:card"))
    response = client.post(reverse("payments:card"), {"setup_intent": intent["id"]})
    assert b"does not belong to your account" in response.content
    assert not Customer.objects.get(user=guest).has_card


def test_the_card_page_without_stripe_says_so(client, localstripe, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    client.force_login(UserFactory())
    response = client.get(reverse("payments:card"))
    assert response.status_code == 200
    assert b"not reachable" in response.content


def test_the_guest_reads_a_printable_invoice(client, paid):
    client.force_login(paid.booking.guest)
    response = client.get(paid.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Invoice {paid.number}" in body
    assert "$700.00" in body and "$1,400.00" in body
    assert f"{paid.period_start:%B} {paid.period_start.day}, {paid.period_start.year}" in body


def test_a_team_bookings_invoice_and_receipt_name_the_team(client, localstripe, run_jobs):
    booking = running_booking(started_days_ago=40, months=1)
    booking.team = TeamFactory(name="Rocket Crew", admin=booking.guest)
    booking.save(update_fields=["team"])
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=booking.start)
    charge = Charge.objects.get(booking=booking)
    run_jobs()

    (receipt,) = [m for m in mail.outbox if m.subject.startswith(f"Receipt {charge.number}")]
    assert f"Invoice {charge.number}\nTeam: Rocket Crew\n" in receipt.body
    client.force_login(booking.guest)
    page = client.get(charge.get_absolute_url()).content.decode()
    assert "<dt>Team</dt><dd>Rocket Crew</dd>" in page


def _team_receipts(localstripe, run_jobs, *, billing_email: str):
    """A team booking's first month and deposit paid, its jobs run: the charge and the
    receipts sent for it. ``billing_email`` "GUEST": the maker's own address, in capitals."""
    booking = running_booking(started_days_ago=40, months=1)
    if billing_email == "GUEST":
        billing_email = booking.guest.email.upper()
    booking.team = TeamFactory(name="Rocket Crew", billing_email=billing_email)
    booking.save(update_fields=["team"])
    add_member(booking.team, booking.guest)
    save_card(localstripe, booking.guest)
    (charge,) = booking_collect(booking_id=booking.pk, today=booking.start)
    run_jobs()
    return charge, [m for m in mail.outbox if m.subject.startswith(f"Receipt {charge.number}")]


def test_a_team_receipt_goes_to_the_billing_email_once(localstripe, run_jobs):
    charge, receipts = _team_receipts(localstripe, run_jobs, billing_email="pay@rocket.test")
    (receipt,) = receipts
    assert receipt.to == [charge.booking.guest.email] and receipt.cc == ["pay@rocket.test"]
    assert "goes to Rocket Crew's billing email, pay@rocket.test." in receipt.body

    # The job again (a retry after the send, or a second enqueue): nothing more goes.
    assert payment_email_send.call(kind="receipt", charge_id=charge.pk) is False
    payment_email_send.enqueue(kind="receipt", charge_id=charge.pk)
    run_jobs()
    sent = [m for m in mail.outbox if m.subject.startswith(f"Receipt {charge.number}")]
    assert sent == [receipt]


# The form requires a billing email; a team without one (made before it, or in the admin
# shell) or with the maker's own address has no one to add.
@pytest.mark.parametrize("billing_email", ["", "GUEST"])
def test_a_team_receipt_without_another_billing_email_goes_to_the_guest_alone(
    localstripe, run_jobs, billing_email
):
    charge, receipts = _team_receipts(localstripe, run_jobs, billing_email=billing_email)
    (receipt,) = receipts
    assert receipt.recipients() == [charge.booking.guest.email]
    assert "billing email" not in receipt.body


def test_a_team_bookings_deposit_statement_copies_the_billing_email_once(
    client, localstripe, run_jobs
):
    """Our own refund: the deposit back after the end, told to the maker and, on copy, to
    the team's billing email."""
    charge, _receipts = _team_receipts(localstripe, run_jobs, billing_email="pay@rocket.test")
    booking = charge.booking
    client.force_login(booking.listing.host)
    response = client.post(
        reverse("payments:deposit", args=[booking.pk]),
        {"keep": "50.00", "reason": "Coffee machine descaling"},
    )
    assert response.status_code == 302
    run_jobs()
    settlement = DepositSettlement.objects.get(booking=booking)
    subject = f"Your deposit for booking #{booking.pk}"
    (statement,) = [m for m in mail.outbox if m.subject == subject]
    assert statement.to == [booking.guest.email] and statement.cc == ["pay@rocket.test"]
    assert "Team: Rocket Crew\n" in statement.body
    assert "goes to Rocket Crew's billing email, pay@rocket.test." in statement.body
    assert payment_email_send.call(kind="deposit", settlement_id=settlement.pk) is False
    assert [m for m in mail.outbox if m.subject == subject] == [statement]


def test_a_team_bookings_payment_due_goes_to_the_card_holder_alone(localstripe, run_jobs):
    booking = running_booking(started_days_ago=40, months=1)
    booking.team = TeamFactory(name="Rocket Crew", billing_email="pay@rocket.test")
    booking.save(update_fields=["team"])
    add_member(booking.team, booking.guest)
    save_card(localstripe, booking.guest, CARD_DECLINED_ON_CHARGE)
    (charge,) = booking_collect(booking_id=booking.pk, today=booking.start)
    assert charge.status == Charge.Status.DUE
    run_jobs()
    (due,) = [m for m in mail.outbox if m.subject.startswith("Payment due: update your card")]
    assert due.recipients() == [booking.guest.email]


def test_a_personal_bookings_invoice_names_no_team_and_a_team_costs_no_query(
    client, paid, run_jobs
):
    run_jobs()
    (receipt,) = [m for m in mail.outbox if m.subject.startswith(f"Receipt {paid.number}")]
    assert "Team:" not in receipt.body and receipt.cc == []
    client.force_login(paid.booking.guest)
    with CaptureQueriesContext(connection) as personal:
        page = client.get(paid.get_absolute_url()).content.decode()
    assert "<dt>Team</dt>" not in page

    paid.booking.team = TeamFactory(admin=paid.booking.guest)
    paid.booking.save(update_fields=["team"])
    with CaptureQueriesContext(connection) as team:
        page = client.get(paid.get_absolute_url()).content.decode()
    assert f"<dt>Team</dt><dd>{paid.booking.team.name}</dd>" in page
    assert len(team) == len(personal)


def test_someone_elses_invoice_is_404(client, paid):
    client.force_login(UserFactory())
    assert client.get(paid.get_absolute_url()).status_code == 404
    for pk in ("999999999", "99999999999999999999"):
        assert client.get(f"/payments/invoices/{pk}/").status_code == 404


def test_a_superuser_flag_without_staff_opens_only_its_own_invoices(client, paid):
    # Every invoice is for operators (``User.is_operator``: active, staff and superuser).
    client.force_login(UserFactory(is_superuser=True, is_staff=False))
    assert client.get(paid.get_absolute_url()).status_code == 404
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(paid.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("flags", NOT_OPERATORS.values(), ids=list(NOT_OPERATORS))
def test_only_operators_see_every_charge(paid, flags):
    assert not charges_visible_to(user=UserFactory(**flags)).exists()
    operator = UserFactory(is_superuser=True, is_staff=True)
    assert list(charges_visible_to(user=operator)) == [paid]


@pytest.fixture
def team_paid(paid):
    """``paid``, booked for a team by a member (the maker), with one more member, a member
    who left and the team's admin."""
    booking = paid.booking
    team = TeamFactory(name="Rocket Crew")
    booking.team = team
    booking.save(update_fields=["team"])
    add_member(team, booking.guest)
    member = add_member(team).user
    former = add_member(team).user
    member_remove(team=team, by=former, user=former)
    return paid, member, former


def test_every_current_member_of_the_team_reads_its_invoice(client, team_paid):
    paid, member, _former = team_paid
    admin = paid.booking.team.memberships.get(role="admin").user
    for user in (member, admin, paid.booking.guest, paid.booking.listing.host):
        client.force_login(user)
        response = client.get(paid.get_absolute_url())
        assert response.status_code == 200, user
        assert f"Invoice {paid.number}" in response.content.decode()
        assert "<dt>Team</dt><dd>Rocket Crew</dd>" in response.content.decode()
        assert "private" in response.headers["Cache-Control"]


def test_a_former_member_and_a_stranger_get_404_for_a_team_invoice(client, team_paid):
    paid, _member, former = team_paid
    for user in (former, UserFactory(), TeamFactory(admin=UserFactory()).memberships.get().user):
        client.force_login(user)
        assert client.get(paid.get_absolute_url()).status_code == 404
    # The maker who leaves the team gives its history up too, its invoices with it.
    maker = paid.booking.guest
    member_remove(team=paid.booking.team, by=maker, user=maker)
    client.force_login(maker)
    assert client.get(paid.get_absolute_url()).status_code == 404


def test_a_member_cannot_reach_another_charge_by_its_id(client, localstripe, team_paid):
    paid, member, _former = team_paid
    booking = running_booking(started_days_ago=40, months=1)
    save_card(localstripe, booking.guest)
    (other,) = booking_collect(booking_id=booking.pk, today=booking.start)
    client.force_login(member)
    assert client.get(other.get_absolute_url()).status_code == 404
    for pk in ("0", "999999999", "99999999999999999999", "-1", "1x", f"{paid.pk}.0"):
        assert client.get(f"/payments/invoices/{pk}/").status_code == 404
    assert client.get(f"/payments/invoices/{paid.pk}/pay/").status_code == 404  # the maker's


def test_a_members_invoice_page_costs_the_same_queries_however_big_the_team(
    client, team_paid, django_assert_max_num_queries
):
    paid, member, _former = team_paid
    client.force_login(member)
    with django_assert_max_num_queries(INVOICE_QUERIES) as small:
        assert client.get(paid.get_absolute_url()).status_code == 200
    for _ in range(5):
        add_member(paid.booking.team)
    with CaptureQueriesContext(connection) as big:
        assert client.get(paid.get_absolute_url()).status_code == 200
    assert len(big) == len(small)


def test_the_booking_page_shows_paid_and_the_host_sees_the_card_on_file(client, paid):
    booking = paid.booking
    client.force_login(booking.guest)
    body = client.get(booking.get_absolute_url()).content.decode()
    assert "status-pay-paid" in body and paid.number in body
    client.force_login(booking.listing.host)
    body = client.get(booking.get_absolute_url()).content.decode()
    assert "Card on file: Visa ending 4242" in body


def test_host_settles_the_deposit_with_a_reason_the_guest_sees(client, paid, run_jobs):
    booking = paid.booking
    url = reverse("payments:deposit", args=[booking.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(booking.listing.host)
    response = client.post(url, {"keep": "800", "reason": ""})
    assert response.status_code == 200 and b"at most the deposit held" in response.content
    response = client.post(url, {"keep": "50", "reason": ""})
    assert b"the guest sees it" in response.content
    response = client.post(url, {"keep": "50.00", "reason": "Coffee machine descaling"})
    assert response.status_code == 302
    run_jobs()
    settlement = DepositSettlement.objects.get(booking=booking)
    assert (settlement.kept_cents, settlement.status) == (5000, "refunded")
    client.force_login(booking.guest)
    body = client.get(booking.get_absolute_url()).content.decode()
    assert "Coffee machine descaling" in body and "$650.00 back to the guest" in body


def test_release_is_for_the_host_after_7_days_only(client, paid):
    booking = paid.booking
    url = reverse("payments:release", args=[booking.pk])
    client.force_login(booking.guest)
    assert client.post(url).status_code == 404
    client.force_login(booking.listing.host)
    response = client.post(url, follow=True)
    assert b"due for 7 days" in response.content
    booking.refresh_from_db()
    assert booking.is_approved


def test_host_statement_and_csv(client, paid):
    host = paid.booking.listing.host
    client.force_login(host)
    month = timezone.localtime(paid.paid_at).strftime("%Y-%m")
    url = reverse("host:payments_charge_statement")
    response = client.get(url, {"month": month})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Rent collected</th><td>$700.00" in body
    assert "Platform fee</th><td>-$70.00" in body
    assert "Net owed to you</th><td>$630.00" in body
    rows = list(
        csv.reader(io.StringIO(client.get(url, {"month": month, "format": "csv"}).content.decode()))
    )
    assert rows[1][1] == paid.number and rows[1][5:] == ["700.00", "70.00", "700.00", "paid"]
    assert ["total", "net owed", "", "", "", "630.00", "", "", ""] in rows
    # Another host's statement is empty; garbage months fall back to this one.
    client.force_login(UserFactory(is_host=True, is_staff=True))
    other = client.get(url, {"month": month}).content.decode()
    assert "Nothing was paid this month" in other
    assert client.get(url, {"month": "x" * 500}).status_code == 200


def test_operators_see_every_charge_in_admin(client, paid):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert paid.number in client.get("/admin/payments/charge/").content.decode()
    statement = client.get("/admin/payments/charge/statement/")
    assert statement.status_code == 200 and b"$700.00" in statement.content
    host = paid.booking.listing.host
    one = client.get("/admin/payments/charge/statement/", {"host": host.pk})
    assert str(host).encode() in one.content and b"$700.00" in one.content
    for forged in ("99999", "x", "9" * 40):
        assert client.get("/admin/payments/charge/statement/", {"host": forged}).status_code == 404
    for page in ("depositsettlement", "customer", "webhookevent"):
        assert client.get(f"/admin/payments/{page}/").status_code == 200


def test_an_operators_one_host_statement_keeps_the_host_on_its_links(client, localstripe, paid):
    # The CSV of one host's statement (to send them) is theirs, not every host's money.
    other = running_booking(started_days_ago=40, months=1)
    save_card(localstripe, other.guest)
    booking_collect(booking_id=other.pk, today=other.start)
    host = paid.booking.listing.host
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = "/admin/payments/charge/statement/"
    month = timezone.localtime(paid.paid_at).strftime("%Y-%m")
    page = client.get(url, {"host": host.pk, "month": month}).content.decode()
    links = {
        text: href.replace("&amp;", "&")
        for href, text in re.findall(r'<a href="(\?[^"]*)">([^<]+)</a>', page)
    }
    csv_rows = client.get(url + links["Download CSV"]).content.decode()
    assert paid.number in csv_rows and other.charges.get().number not in csv_rows
    for text in ("← Previous month", "Next month →"):
        assert f"host={host.pk}" in links[text], text


def test_a_statement_month_at_the_calendars_edge_is_this_month(client, paid):
    client.force_login(paid.booking.listing.host)
    url = reverse("host:payments_charge_statement")
    for edge in ("0001-01", "9999-12"):
        assert client.get(url, {"month": edge}).status_code == 200, edge


def test_future_month_param_is_fine(client, paid):
    client.force_login(paid.booking.listing.host)
    url = reverse("host:payments_charge_statement")
    nxt = (datetime.date.today() + datetime.timedelta(days=400)).strftime("%Y-%m")
    assert client.get(url, {"month": nxt}).status_code == 200


def test_the_request_form_names_the_card_rent_goes_to(client, localstripe):
    from listings.tests.factories import ListingFactory

    listing = ListingFactory()
    guest = UserFactory()
    client.force_login(guest)
    url = listing.get_absolute_url() + "book/"
    assert b"add a card</a>" in client.get(url).content
    save_card(localstripe, guest)
    assert b"your Visa ending 4242 once the host approves" in client.get(url).content


def test_a_booking_moved_into_a_team_brings_its_invoices_and_receipts(
    client, localstripe, run_jobs
):
    from bookings.services import booking_move_to_team

    booking = running_booking(started_days_ago=40, months=3)
    save_card(localstripe, booking.guest)
    (before,) = booking_collect(booking_id=booking.pk, today=booking.start)
    team = TeamFactory(name="Rocket Crew", billing_email="pay@rocket.test", admin=booking.guest)
    teammate = add_member(team).user
    client.force_login(teammate)
    assert client.get(before.get_absolute_url()).status_code == 404

    booking_move_to_team(booking=booking, team=team, by=booking.guest)

    # The invoices made before the move are the team's now, as the booking is.
    assert client.get(before.get_absolute_url()).status_code == 200
    client.force_login(UserFactory())
    assert client.get(before.get_absolute_url()).status_code == 404
    # A charge after the move: its receipt copies the team's billing email.
    (after,) = booking_collect(booking_id=booking.pk, today=booking.start + datetime.timedelta(31))
    run_jobs()
    (receipt,) = [m for m in mail.outbox if m.subject.startswith(f"Receipt {after.number}")]
    assert receipt.to == [booking.guest.email] and receipt.cc == ["pay@rocket.test"]
