import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings.models import Booking, Message, add_months
from bookings.services import MAX_LEAD_MONTHS
from listings.models import Listing, ListingExtra
from listings.services import listing_extra_save
from listings.tests.factories import ListingFactory

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


def soon(days=7):
    return timezone.localdate() + datetime.timedelta(days=days)


def book_url(listing):
    return reverse("bookings:create", args=[listing.city.slug, listing.slug])


def login(client, user):
    client.force_login(user)
    return client


# --- request desks --------------------------------------------------------------------


def test_book_page_needs_login(client):
    listing = ListingFactory()
    response = client.get(book_url(listing))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(book_url(listing), {"desks": 1}).status_code == 302
    assert not Booking.objects.exists()


def test_book_page_is_prefilled_from_the_search_and_shows_the_price(client):
    listing = ListingFactory(desks=6, price_per_desk="350.00", min_term_months=3)
    assert book_url(listing) == f"/spaces/{listing.city.slug}/{listing.slug}/book/"
    login(client, UserFactory())
    response = client.get(book_url(listing), {"desks": "2", "move_in": soon(9).isoformat()})
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    html = response.content.decode()
    assert 'name="desks"' in html and 'value="2"' in html
    assert f'value="{soon(9).isoformat()}"' in html
    assert 'name="months"' in html and 'value="3"' in html
    # Without JavaScript nothing is quoted for fields the guest may still change...
    assert "$350.00 per desk per month: the total for the desks and term you choose" in html
    assert 'data-price-cents="35000"' in html
    # ... and after a submit the page quotes exactly what was submitted.
    response = client.post(book_url(listing), {"desks": "2", "months": "3", "start": "garbage"})
    html = response.content.decode()
    assert "$700.00 per month" in html and "$2,100.00" in html


@pytest.mark.parametrize("opens_in_days", [-30, 0, 20])
def test_book_page_date_picker_offers_only_days_a_request_may_start(client, opens_in_days):
    listing = ListingFactory(available_from=soon(opens_in_days))
    login(client, UserFactory())
    field = client.get(book_url(listing)).context["form"]["start"]
    attrs = field.field.widget.attrs
    assert attrs["min"] == max(timezone.localdate(), soon(opens_in_days)).isoformat()
    assert attrs["max"] == add_months(timezone.localdate(), MAX_LEAD_MONTHS).isoformat()
    assert f'min="{attrs["min"]}"' in str(field)


@pytest.mark.parametrize(
    "params",
    [
        {"desks": "lots", "move_in": "yesterday"},
        {"desks": "-4", "move_in": "2027-02-31"},
        {"desks": "99999999999999999999", "move_in": "9" * 40},
    ],
)
def test_book_page_ignores_garbage_prefill(client, params):
    listing = ListingFactory(desks=6)
    login(client, UserFactory())
    response = client.get(book_url(listing), params)
    assert response.status_code == 200
    assert response.context["form"].initial["desks"] == 1


def test_booking_request_redirects_to_the_booking_and_mails_the_host(client, run_jobs):
    listing = ListingFactory(desks=6)
    guest = UserFactory()
    login(client, guest)
    data = {"desks": "2", "start": soon(10).isoformat(), "months": "2", "message": "Hi!"}
    response = client.post(book_url(listing), data)
    run_jobs()
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/bookings/{booking.pk}/"
    assert (booking.guest, booking.desks, booking.months, booking.message) == (guest, 2, 2, "Hi!")
    assert [m.to for m in mail.outbox] == [[listing.host.email]]
    # The host is told the deadline, in the site's time zone (Boulder and Denver).
    deadline = timezone.localtime(booking.answer_by)
    said = f"Please answer by {deadline:%B} {deadline.day}, "
    assert said in mail.outbox[0].body
    assert said in mail.outbox[0].alternatives[0].content


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"desks": "two", "start": "SOON", "months": "2"}, "desks"),
        ({"desks": "0", "start": "SOON", "months": "2"}, "desks"),
        ({"desks": "7", "start": "SOON", "months": "2"}, "desks"),
        ({"desks": "1e9", "start": "SOON", "months": "2"}, "desks"),
        ({"desks": "1", "start": "next tuesday", "months": "2"}, "start"),
        ({"desks": "1", "start": "2027-02-30", "months": "2"}, "start"),
        ({"desks": "1", "start": "99999-01-01", "months": "2"}, "start"),
        ({"desks": "1", "start": "9999-12-31", "months": "36"}, "__all__"),
        ({"desks": "1", "start": "SOON", "months": "0"}, "months"),
        ({"desks": "1", "start": "SOON", "months": "1000000"}, "months"),
        ({"desks": "1", "start": "SOON", "months": "½"}, "months"),
        ({"desks": "1", "start": "SOON", "months": "2", "message": "x" * 2001}, "message"),
        ({"months": "2"}, "desks"),
    ],
)
def test_booking_form_rejects_garbage_with_form_errors(client, data, field):
    listing = ListingFactory(desks=6)
    login(client, UserFactory())
    data = {k: v.replace("SOON", soon().isoformat()) for k, v in data.items()}
    response = client.post(book_url(listing), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Booking.objects.exists()


def test_service_refusals_show_as_form_errors(client):
    listing = ListingFactory(desks=2)
    BookingFactory(listing=listing, desks=2, status="approved", start=soon(3), months=3)
    login(client, UserFactory())
    past = client.post(book_url(listing), {"desks": "1", "start": "2001-01-01", "months": "1"})
    assert "already passed" in past.content.decode()
    full = client.post(book_url(listing), {"desks": "1", "start": soon(), "months": "1"})
    assert "No desks are free for that whole term." in full.content.decode()
    login(client, listing.host)
    own = client.post(book_url(listing), {"desks": "1", "start": soon(200), "months": "1"})
    assert "cannot book your own space" in own.content.decode()
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"desks": "5", "months": "3"}, "This space has 4 desks."),
        ({"desks": "0", "months": "3"}, "Ask for at least one desk."),
        ({"desks": "1", "months": "2"}, "This space is let for at least 3 months."),
        ({"desks": "1", "months": "37"}, "Terms are at most 36 months."),
    ],
)
def test_booking_form_errors_speak_plainly(client, data, message):
    listing = ListingFactory(desks=4, min_term_months=3)
    login(client, UserFactory())
    response = client.post(book_url(listing), {**data, "start": soon().isoformat()})
    html = response.content.decode()
    assert message in html
    assert "Ensure this value" not in html
    assert not Booking.objects.exists()


def cost_url(listing):
    return reverse("bookings:cost", args=[listing.city.slug, listing.slug])


def test_the_cost_block_follows_the_desks_asked(client, django_assert_max_num_queries):
    listing = ListingFactory(desks=6, price_per_desk="350.00", deposit_months=1)
    listing_extra_save(
        listing=listing, kind=ListingExtra.Kind.PARKING, required=True, price_cents=7500
    )
    login(client, UserFactory())
    with django_assert_max_num_queries(6):  # session, user, listing, amounts, extras
        response = client.get(cost_url(listing), {"desks": "4"})
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    html = response.content.decode()
    assert "What you pay for 4 desks" in html
    # 4 × $350 rent + $75 parking a month; the deposit is a month's rent.
    assert "$1,475 all-in: $1,400 rent + $75 required extras" in html
    assert "$2,875: the first month + a $1,400 deposit" in html
    # The form's own block is the same fragment, for the desks it was opened with.
    form = client.get(book_url(listing), {"desks": "4"}).content.decode()
    assert "$1,475 all-in" in form and f'data-cost-url="{cost_url(listing)}"' in form


@pytest.mark.parametrize(
    "desks", ["", "0", "7", "-1", "2.5", "abc", "\u0663", "9" * 30, "1e3", "%00"]
)
def test_the_cost_block_refuses_desks_it_cannot_quote(client, desks):
    listing = ListingFactory(desks=6)
    login(client, UserFactory())
    assert client.get(cost_url(listing), {"desks": desks}).status_code == 400


def test_the_cost_block_needs_login_a_published_listing_and_a_get(client):
    listing = ListingFactory(desks=6)
    draft = ListingFactory(status=Listing.Status.DRAFT)
    response = client.get(cost_url(listing), {"desks": "2"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    login(client, UserFactory())
    assert client.get(cost_url(draft), {"desks": "2"}).status_code == 404
    assert client.get(f"/spaces/atlantis/{listing.slug}/book/cost/?desks=2").status_code == 404
    assert client.post(cost_url(listing), {"desks": "2"}).status_code == 405


def test_book_page_404s_for_unknown_or_unpublished_listings(client):
    login(client, UserFactory())
    draft = ListingFactory(status=Listing.Status.DRAFT)
    assert client.get(book_url(draft)).status_code == 404
    assert client.get(f"/spaces/{draft.city.slug}/no-such-space/book/").status_code == 404
    assert client.get(f"/spaces/atlantis/{draft.slug}/book/").status_code == 404


# --- list and detail ------------------------------------------------------------------


def test_bookings_list_shows_guest_bookings_and_host_requests(client):
    host_listing = ListingFactory(title="Host's loft")
    host = host_listing.host
    incoming = BookingFactory(listing=host_listing)
    own_trip = BookingFactory(guest=host, listing=ListingFactory(title="Denver desk"))
    unrelated = BookingFactory(listing=ListingFactory(title="Someone else's"))
    response = login(client, host).get(reverse("bookings:list"))
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    assert response.context["as_host"] == [incoming]
    assert response.context["as_guest"] == [own_trip]
    html = response.content.decode()
    assert "Host&#x27;s loft" in html and "Denver desk" in html and "Someone else" not in html
    assert f"/bookings/{unrelated.pk}/" not in html
    guest_page = login(client, incoming.guest).get(reverse("bookings:list"))
    assert guest_page.context["as_guest"] == [incoming] and guest_page.context["as_host"] == []


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_bookings_list_query_count_is_constant(client):
    listing = ListingFactory()
    host = listing.host
    BookingFactory(listing=listing)
    login(client, host)
    one = _count_queries(client, reverse("bookings:list"))
    for _ in range(15):
        BookingFactory(listing=ListingFactory(host=host))
        BookingFactory(guest=host)
    assert _count_queries(client, reverse("bookings:list")) == one
    assert one <= 4


def test_booking_detail_query_count_is_constant(client):
    booking = BookingFactory()
    Message.objects.create(booking=booking, author=booking.guest, body="First")
    login(client, booking.listing.host)
    url = booking.get_absolute_url()
    one = _count_queries(client, url)
    for i in range(20):
        author = booking.guest if i % 2 else booking.listing.host
        Message.objects.create(booking=booking, author=author, body=f"Message {i}")
    assert _count_queries(client, url) == one
    assert one <= 7  # session, user, booking, messages, history, desk changes, savepoint


def test_booking_detail_shows_term_price_thread_and_host_actions(client):
    booking = BookingFactory(desks=2, message="We are two.")
    Message.objects.create(booking=booking, author=booking.guest, body="Is there parking?")
    response = login(client, booking.listing.host).get(booking.get_absolute_url())
    html = response.content.decode()
    assert "Requested" in html and "We are two." in html and "Is there parking?" in html
    assert "$700.00 per month" in html
    assert reverse("bookings:approve", args=[booking.pk]) in html
    assert reverse("bookings:decline", args=[booking.pk]) in html
    assert reverse("bookings:cancel", args=[booking.pk]) not in html
    assert reverse("bookings:message", args=[booking.pk]) in html
    guest_html = login(client, booking.guest).get(booking.get_absolute_url()).content.decode()
    assert reverse("bookings:cancel", args=[booking.pk]) in guest_html
    assert reverse("bookings:approve", args=[booking.pk]) not in guest_html


def test_a_pending_request_says_by_when_the_host_must_answer(client):
    booking = BookingFactory()
    Booking.objects.filter(pk=booking.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 30))
    )
    host_html = login(client, booking.listing.host).get(booking.get_absolute_url())
    assert "Answer by</dt><dd>December 4, 2026, 9:30 a.m.;" in host_html.content.decode()
    guest_html = login(client, booking.guest).get(booking.get_absolute_url()).content.decode()
    assert "December 4, 2026, 9:30 a.m.; if the host has not answered" in guest_html

    list_html = client.get(reverse("bookings:list")).content.decode()
    assert "answer by Dec 4, 9:30 a.m." in list_html

    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.APPROVED)
    assert "Answer by" not in client.get(booking.get_absolute_url()).content.decode()
    assert "answer by" not in client.get(reverse("bookings:list")).content.decode()


def test_guest_of_a_started_booking_is_offered_notice(client):
    start = timezone.localdate() - datetime.timedelta(days=10)
    booking = BookingFactory(status="approved", start=start, months=3)
    html = login(client, booking.guest).get(booking.get_absolute_url()).content.decode()
    assert "Give 30 days' notice" in html


ACTION_URLS = ["detail", "message", "approve", "decline", "cancel"]


@pytest.mark.parametrize("name", ACTION_URLS)
def test_strangers_get_404_for_every_booking_url(client, name):
    booking = BookingFactory()
    other_host = ListingFactory().host
    url = reverse(f"bookings:{name}", args=[booking.pk])
    for stranger in (UserFactory(), other_host):
        login(client, stranger)
        method = client.get if name == "detail" else client.post
        assert method(url, {"body": "hi", "reason": "no"}).status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED and not booking.messages.exists()


@pytest.mark.parametrize("name", ACTION_URLS)
def test_forged_booking_ids_get_404(client, name):
    booking = BookingFactory()
    login(client, booking.guest)
    method = client.get if name == "detail" else client.post
    assert method(reverse(f"bookings:{name}", args=[booking.pk + 1000])).status_code == 404
    assert client.get(f"/bookings/{booking.pk}abc/").status_code == 404
    assert client.get("/bookings/99999999999999999999999/").status_code == 404


@pytest.mark.parametrize("name", ["message", "approve", "decline"])
def test_actions_only_accept_post(client, name):
    booking = BookingFactory()
    login(client, booking.listing.host)
    assert client.get(reverse(f"bookings:{name}", args=[booking.pk])).status_code == 405


def test_host_approves_and_guest_cannot(client):
    booking = BookingFactory()
    url = reverse("bookings:approve", args=[booking.pk])
    response = login(client, booking.guest).post(url, follow=True)
    assert response.status_code == 200
    assert "Only the host" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED
    response = login(client, booking.listing.host).post(url)
    assert response.status_code == 302 and response["Location"] == booking.get_absolute_url()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED
    # A second click explains itself instead of failing.
    again = client.post(url, follow=True)
    assert "cannot be approved" in again.content.decode()


def test_host_declines_with_reason(client):
    booking = BookingFactory()
    login(client, booking.listing.host)
    client.post(reverse("bookings:decline", args=[booking.pk]), {"reason": "Full, sorry."})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED
    assert booking.messages.get().body == "Full, sorry."


def test_host_decline_reason_over_500_characters_declines_nothing(
    client, django_assert_max_num_queries
):
    """The reason the guest reads is at most 500 characters, as in /host/: a longer one is
    refused with a message, not dropped while the request is declined without it."""
    booking = BookingFactory()
    login(client, booking.listing.host)
    url = reverse("bookings:decline", args=[booking.pk])
    with django_assert_max_num_queries(6):  # session, user, the booking as its page reads it
        refused = client.post(url, {"reason": "x" * 501})
    assert refused.status_code == 302
    response = client.get(refused["Location"])
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED
    assert not booking.messages.exists()
    assert "at most 500 characters" in response.content.decode()
    client.post(url, {"reason": "y" * 500})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED
    assert booking.messages.get().body == "y" * 500
    assert booking.events.get(to_status=Booking.Status.DECLINED).note == "y" * 500


def test_guest_cancels_and_host_cannot(client):
    booking = BookingFactory(status="approved")
    url = reverse("bookings:cancel", args=[booking.pk])
    login(client, booking.listing.host).post(url)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED
    login(client, booking.guest).post(url)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_reply_form_posts_a_message_and_rejects_blank(client, run_jobs):
    booking = BookingFactory()
    login(client, booking.guest)
    url = reverse("bookings:message", args=[booking.pk])
    blank = client.post(url, {"body": "   "})
    assert blank.status_code == 200 and blank.context["message_form"].errors
    response = client.post(url, {"body": "When can we visit?"})
    run_jobs()
    assert response.status_code == 302
    assert booking.messages.get().body == "When can we visit?"
    assert [m.to for m in mail.outbox] == [[booking.listing.host.email]]


# --- availability include -------------------------------------------------------------


def test_listing_page_shows_twelve_months_of_availability_and_the_book_link(client):
    listing = ListingFactory(desks=3)
    BookingFactory(listing=listing, desks=3, status="approved", start=soon(1), months=2)
    response = client.get(listing.get_absolute_url(), {"desks": "2", "move_in": soon(3)})
    html = response.content.decode()
    table = html[html.index('<table class="availability-table">') : html.index("</table>")]
    assert table.count("<tr>") == 13  # header + 12 months
    assert "Full" in table
    assert f"{book_url(listing)}?desks=2&amp;move_in={soon(3).isoformat()}" in html


def test_search_desks_and_move_in_count_approved_bookings(client):
    listing = ListingFactory(desks=4, min_term_months=1)
    BookingFactory(listing=listing, desks=3, status="approved", start=soon(1), months=2)
    BookingFactory(listing=listing, desks=4, status="requested", start=soon(1), months=2)

    def found(**params):
        response = client.get("/spaces/", params)
        assert response.status_code == 200
        return listing in response.context["listings"]

    assert found(desks=1, move_in=soon(2).isoformat())
    assert not found(desks=2, move_in=soon(2).isoformat())  # 3 of 4 approved that month
    # After the approved term ends, all four are free again; pending requests don't count.
    assert found(desks=4, move_in=soon(75).isoformat())


def test_after_notice_the_term_shows_the_new_end_not_the_booked_months(client):
    start = timezone.localdate() - datetime.timedelta(days=10)
    booking = BookingFactory(status="approved", start=start, months=6)
    login(client, booking.guest).post(reverse("bookings:cancel", args=[booking.pk]))
    booking.refresh_from_db()
    assert booking.notice_given_at is not None and booking.months == 6
    html = client.get(booking.get_absolute_url()).content.decode()
    ends = booking.end.strftime("%B %-d, %Y")
    assert f"to {ends}, after notice" in html
    assert "6 months:" not in html  # "6 months: <start> to <a date 5 months short>" was wrong
    assert "for the 6 months as booked" in html


def test_the_listing_page_reminds_a_logged_in_guest_of_their_bookings_here(client):
    listing = ListingFactory(slug="sunny")
    guest = UserFactory()
    start = max(listing.available_from, timezone.localdate())
    pending = BookingFactory(listing=listing, guest=guest, desks=2, start=start)
    approved = BookingFactory(listing=listing, guest=guest, desks=1, start=start, status="approved")
    BookingFactory(listing=listing, guest=guest, status="declined")  # not a reminder
    BookingFactory(listing=listing, desks=3)  # someone else's

    client.force_login(guest)
    html = client.get(listing.get_absolute_url()).content.decode()
    assert f"your request #{pending.pk}</a>" in html and "You asked for 2 desks" in html
    assert f"your booking #{approved.pk}</a>" in html and "You have 1 desk from" in html
    assert html.count("your request #") + html.count("your booking #") == 2

    # A visitor's page has none (and no query for it: listings' test_queries counts 4).
    client.logout()
    response = client.get(listing.get_absolute_url())
    assert "your-bookings" not in response.content.decode()
    assert "Cookie" not in response.get("Vary", "")


# --- one request per intent ----------------------------------------------------------------


def _form_key(client, listing):
    html = client.get(book_url(listing)).content.decode()
    return re.search(r'name="request_key" value="([0-9a-f]{32})"', html)[1]


def test_submitting_the_same_form_twice_makes_one_request_and_mails_the_host_once(client, run_jobs):
    listing = ListingFactory(desks=4)
    login(client, UserFactory())
    data = {"desks": "2", "months": "1", "start": soon().isoformat()}
    data["request_key"] = _form_key(client, listing)
    first = client.post(book_url(listing), data)
    second = client.post(book_url(listing), data)  # a double click, or Back and submit
    (booking,) = Booking.objects.all()
    assert first["Location"] == second["Location"] == booking.get_absolute_url()
    run_jobs()
    assert [m.to for m in mail.outbox] == [[listing.host.email]]


def test_a_second_form_for_the_same_dates_leads_to_the_first_request(client):
    listing = ListingFactory(desks=4)
    login(client, UserFactory())
    data = {"desks": "2", "months": "1", "start": soon().isoformat()}
    client.post(book_url(listing), {**data, "request_key": _form_key(client, listing)})
    response = client.post(
        book_url(listing), {**data, "request_key": _form_key(client, listing)}, follow=True
    )
    (booking,) = Booking.objects.all()
    assert response.redirect_chain[-1][0] == booking.get_absolute_url()
    assert "You have already asked for 2 desks here" in response.content.decode()


@pytest.mark.parametrize("key", ["", "not-hex", "x" * 5000, "0123456789ABCDEF0123456789ABCDEF"])
def test_a_forged_request_key_is_ignored_not_an_error(client, key):
    listing = ListingFactory(desks=4)
    login(client, UserFactory())
    data = {"desks": "1", "months": "1", "start": soon().isoformat(), "request_key": key}
    assert client.post(book_url(listing), data).status_code == 302
    assert Booking.objects.get().request_key == ""


# --- confirm what cannot be undone ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "start_in_days", "heading", "says"),
    [
        ("requested", 7, "Withdraw your request?", "You can ask again later"),
        ("approved", 7, "Cancel your booking?", "this cannot be undone"),
        ("approved", -10, "Give 30 days' notice?", "your last day will be"),
    ],
    ids=["withdraw", "cancel", "notice"],
)
def test_cancel_withdraw_and_notice_ask_first_and_say_what_happens(
    client, status, start_in_days, heading, says
):
    booking = BookingFactory(status=status, start=soon(start_in_days), months=3)
    login(client, booking.guest)
    detail = client.get(booking.get_absolute_url()).content.decode()
    url = reverse("bookings:cancel", args=[booking.pk])
    assert f'href="{url}"' in detail  # a link to the question, not a button that acts
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and heading in html and says in html
    booking.refresh_from_db()
    assert booking.status == status and booking.notice_given_at is None  # asking did nothing
    assert client.post(url).status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled" or booking.notice_given_at is not None


def test_the_notice_question_gives_the_new_last_day(client):
    booking = BookingFactory(status="approved", start=soon(-10), months=6)
    login(client, booking.guest)
    html = client.get(reverse("bookings:cancel", args=[booking.pk])).content.decode()
    last = timezone.localdate() + datetime.timedelta(days=29)
    assert f"{last:%A}, {last:%B} {last.day}, {last.year}" in html


def test_only_the_guest_is_asked(client):
    booking = BookingFactory(status="approved")
    login(client, booking.listing.host)
    response = client.get(reverse("bookings:cancel", args=[booking.pk]), follow=True)
    assert "Only the guest who made this booking can cancel it." in response.content.decode()
    stranger = BookingFactory()
    assert client.get(reverse("bookings:cancel", args=[stranger.pk])).status_code == 404


# --- private offices are let whole ---------------------------------------------------------


def test_a_private_office_is_requested_and_priced_whole(client):
    office = ListingFactory(
        space_type=Listing.SpaceType.PRIVATE_OFFICE, desks=4, price_per_desk="900.00"
    )
    login(client, UserFactory())
    html = client.get(book_url(office), {"desks": "1"}).content.decode()
    assert "Office for up to 4 (let whole)" in html
    assert 'name="desks" value="4"' in html and "disabled" in html
    assert "<h1>Request the office at" in html and ">Request the office</button>" in html
    assert "Request desks" not in html
    # A forged post for one desk still asks for the whole office.
    response = client.post(book_url(office), {"desks": "1", "months": "1", "start": soon()})
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.desks, booking.total) == (4, Decimal("3600.00"))


def test_the_service_refuses_part_of_an_office():
    from bookings import services

    office = ListingFactory(space_type=Listing.SpaceType.PRIVATE_OFFICE, desks=4)
    with pytest.raises(ValidationError) as exc:
        services.booking_request(
            guest=UserFactory(), listing=office, desks=1, start=soon(), months=1
        )
    assert exc.value.messages == ["This private office is let whole: ask for all 4 desks."]


def test_offices_show_as_an_office_for_up_to_n_and_search_finds_them_by_size(client):
    office = ListingFactory(
        space_type=Listing.SpaceType.PRIVATE_OFFICE, desks=5, price_per_desk=Decimal("900.00")
    )
    detail = client.get(office.get_absolute_url()).content.decode()
    assert "An office for up to 5, let whole: $4,500 a month" in detail
    assert "Request the office" in detail
    found = client.get("/spaces/", {"desks": "5"}).content.decode()
    assert "office for up to 5" in found and "$4,500" in found
    assert office.title not in client.get("/spaces/", {"desks": "6"}).content.decode()
    # Once booked, it is full: nobody shares it.
    BookingFactory(listing=office, desks=5, status="approved", start=soon(), months=2)
    assert (
        office.title
        not in client.get(
            "/spaces/", {"desks": "1", "move_in": soon().isoformat()}
        ).content.decode()
    )
