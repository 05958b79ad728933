"""Reviews from verified guests: who may review and when, once per booking, the host's one
reply, operators hiding with a reason, the emails, and what public pages show."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.wsgi import get_wsgi_application
from django.utils import timezone

from accounts.services import host_enable
from accounts.tests.factories import UserFactory
from bookings import reviews
from bookings.models import Booking, Review
from bookings.tasks import bookings_invite_reviews
from bookings.tests.factories import BookingFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from pivotdesk.pagecache import PageCache
from pivotdesk.tests.wsgi_util import wsgi_get

pytestmark = pytest.mark.django_db

STARS = {"overall": 5, "space": 4, "host": 5, "value": 3}


def day(offset: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=offset)


def stayed(*, days_ago: int = 40, months: int = 3, **kwargs) -> Booking:
    """An approved booking that started ``days_ago`` days ago."""
    if "guest" not in kwargs:
        kwargs["guest"] = UserFactory(name="Maya Lindqvist")
    if "listing" not in kwargs:
        kwargs["listing"] = ListingFactory(host=host_enable(user=UserFactory()))
    return BookingFactory(
        start=day(-days_ago), months=months, status=Booking.Status.APPROVED, **kwargs
    )


def review_url(booking):
    listing = booking.listing
    return f"/spaces/{listing.city.slug}/{listing.slug}/review/{booking.pk}/"


def write(booking, **overrides):
    return reviews.review_create(
        booking=booking, guest=booking.guest, **{**STARS, "text": "Quiet.", **overrides}
    )


# --- who may review, and when ---------------------------------------------------------


def test_a_guest_who_stayed_a_month_reviews_and_the_listing_keeps_the_average():
    booking = stayed()
    review = write(booking, overall=5)
    other = stayed(listing=booking.listing)
    write(other, overall=4)
    listing = Listing.objects.get(pk=booking.listing_id)
    assert (listing.rating_average, listing.rating_count) == (Decimal("4.50"), 2)
    assert review.guest_name == "Maya"  # a first name, never the email


def test_a_booking_cut_short_by_notice_can_be_reviewed_once_it_ended():
    booking = stayed(days_ago=20, months=3)
    Booking.objects.filter(pk=booking.pk).update(end=day(-1))
    booking.refresh_from_db()
    assert write(booking).pk


@pytest.mark.parametrize(
    ("days_ago", "status", "message"),
    [
        (10, Booking.Status.APPROVED, "after your first month"),
        (-5, Booking.Status.APPROVED, "after your first month"),
        (40, Booking.Status.DECLINED, "went ahead"),
        (40, Booking.Status.REQUESTED, "went ahead"),
        (40, Booking.Status.CANCELLED, "went ahead"),
    ],
)
def test_too_early_or_a_booking_that_did_not_go_ahead_is_refused(days_ago, status, message):
    booking = stayed(days_ago=days_ago)
    Booking.objects.filter(pk=booking.pk).update(status=status)
    booking.refresh_from_db()
    with pytest.raises(ValidationError, match=message):
        write(booking)
    assert not Review.objects.exists()


def test_only_the_guest_and_only_once():
    booking = stayed()
    with pytest.raises(ValidationError, match="Only the guest"):
        reviews.review_create(booking=booking, guest=UserFactory(), **STARS)
    write(booking)
    with pytest.raises(ValidationError, match="already reviewed"):
        write(booking)
    assert Review.objects.count() == 1


@pytest.mark.parametrize(
    "overrides", [{"overall": 0}, {"space": 6}, {"value": -1}, {"text": "x" * 2001}]
)
def test_stars_outside_one_to_five_or_long_text_save_nothing(overrides):
    booking = stayed()
    with pytest.raises(ValidationError):
        write(booking, **overrides)
    assert not Review.objects.exists()
    assert Listing.objects.get(pk=booking.listing_id).rating_count == 0


# --- the guest's form -------------------------------------------------------------------


def test_the_guest_reviews_from_the_booking_page_and_the_listing_page_shows_it(client, run_jobs):
    booking = stayed()
    client.force_login(booking.guest)
    assert "Review this space" in client.get(booking.get_absolute_url()).text
    response = client.post(
        review_url(booking), {**STARS, "text": "Great light, quiet phone booths."}
    )
    review = Review.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#review-{review.pk}")
    assert "Review this space" not in client.get(booking.get_absolute_url()).text

    client.logout()
    page = client.get(booking.listing.get_absolute_url()).text
    assert "5.0 out of 5</strong> · 1 review" in page
    assert "Great light, quiet phone booths." in page
    assert "Maya" in page and booking.guest.email not in page
    [data] = [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page)
    ]
    assert data["aggregateRating"]["ratingValue"] == "5.00"
    assert data["aggregateRating"]["reviewCount"] == 1
    assert data["review"][0]["reviewRating"]["ratingValue"] == 5
    assert data["review"][0]["author"]["name"] == "Maya"
    assert data["review"][0]["datePublished"] == timezone.localdate().isoformat()

    run_jobs()
    [email] = [m for m in mail.outbox if m.to == [booking.listing.host.email]]
    assert email.subject == f"New review of {booking.listing.title}"
    assert "5 out of 5" in email.body and "Great light" in email.body


@pytest.mark.parametrize(
    "data",
    [
        {**STARS, "overall": "7"},
        {**STARS, "space": "0"},
        {**STARS, "host": "abc"},
        {**STARS, "value": ""},
        {**STARS, "text": "x" * 100_000},
    ],
)
def test_bad_stars_or_100_kb_of_text_are_form_errors(client, data):
    booking = stayed()
    client.force_login(booking.guest)
    response = client.post(review_url(booking), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Review.objects.exists()


def test_a_forged_or_someone_elses_booking_id_is_a_404(client):
    booking = stayed()
    client.force_login(UserFactory())
    assert client.post(review_url(booking), STARS).status_code == 404
    assert client.get(review_url(booking)).status_code == 404
    client.force_login(booking.guest)
    other_listing = ListingFactory()
    url = f"/spaces/{other_listing.city.slug}/{other_listing.slug}/review/{booking.pk}/"
    assert client.post(url, STARS).status_code == 404
    assert client.post(review_url(booking).replace(str(booking.pk), "99999999")).status_code == 404
    assert not Review.objects.exists()


def test_a_second_review_or_one_too_early_goes_back_to_the_booking_with_a_message(client):
    early = stayed(days_ago=5)
    client.force_login(early.guest)
    response = client.post(review_url(early), STARS, follow=True)
    assert "after your first month" in response.text
    assert not Review.objects.exists()

    booking = stayed(guest=early.guest)
    write(booking)
    response = client.post(review_url(booking), {**STARS, "overall": 1})
    assert response.status_code == 302 and response["Location"] == booking.get_absolute_url()
    assert Review.objects.get().overall == 5


# --- the host's reply -------------------------------------------------------------------


def test_the_host_replies_once_in_the_host_admin(client):
    review = write(stayed())
    host = review.listing.host
    client.force_login(host)
    url = f"/host/bookings/review/{review.pk}/change/"
    assert client.get("/host/bookings/review/").status_code == 200
    response = client.post(url, {"reply": "  "})
    assert response.status_code == 200 and "Write your reply first." in response.text
    assert client.post(url, {"reply": "Thank you, Maya!"}).status_code == 302
    assert client.post(url, {"reply": "Edited!"}).status_code == 403
    review.refresh_from_db()
    assert review.reply == "Thank you, Maya!" and review.replied_at is not None
    assert "Thank you, Maya!" in client.get(review.listing.get_absolute_url()).text
    with pytest.raises(ValidationError, match="already replied"):
        reviews.review_reply(review=review, host=host, text="Again")


def test_a_host_cannot_reply_to_or_delete_another_hosts_review(client):
    review = write(stayed())
    other = host_enable(user=UserFactory())
    client.force_login(other)
    url = f"/host/bookings/review/{review.pk}/change/"
    response = client.post(url, {"reply": "Not mine"})
    assert response.status_code == 302 and response["Location"] == "/host/"  # "doesn't exist"
    with pytest.raises(ValidationError, match="Only the host"):
        reviews.review_reply(review=review, host=other, text="Not mine")
    client.force_login(review.listing.host)
    assert client.post(f"/host/bookings/review/{review.pk}/delete/").status_code == 403
    review.refresh_from_db()
    assert review.reply == "" and Review.objects.count() == 1


# --- operators hide ---------------------------------------------------------------------


def test_an_operator_hides_a_review_with_a_reason_and_it_is_kept(client):
    kept = write(stayed(), overall=5)
    review = write(stayed(listing=kept.listing), overall=1, text="Rude words")
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    url = f"/admin/bookings/review/{review.pk}/change/"
    response = client.post(url, {"hide": "on", "hidden_reason": ""})
    assert response.status_code == 200 and "Say why" in response.text
    assert client.post(url, {"hide": "on", "hidden_reason": "Abusive language"}).status_code == 302
    review.refresh_from_db()
    assert review.is_hidden and review.hidden_reason == "Abusive language"
    listing = Listing.objects.get(pk=review.listing_id)
    assert (listing.rating_average, listing.rating_count) == (Decimal("5.00"), 1)
    assert "Rude words" not in client.get(listing.get_absolute_url()).text
    assert client.post(f"/admin/bookings/review/{review.pk}/delete/").status_code == 403
    assert Review.objects.count() == 2

    assert client.post(url, {"hidden_reason": "Abusive language"}).status_code == 302  # shown
    listing.refresh_from_db()
    assert (listing.rating_average, listing.rating_count) == (Decimal("3.00"), 2)


# --- invitations ------------------------------------------------------------------------


def test_guests_are_invited_to_review_once_per_booking(run_jobs):
    due = stayed(days_ago=32)
    stayed(days_ago=10)  # too early
    stayed(days_ago=200, months=12)  # reviewable long ago: outside the window
    reviewed = stayed(days_ago=33)
    write(reviewed)
    assert reviews.reviews_invite() == 1
    assert reviews.reviews_invite() == 0  # a second run queues nothing
    bookings_invite_reviews.enqueue()  # as the clock does, daily
    run_jobs()
    [email] = [m for m in mail.outbox if "Review your space" in m.subject]
    assert email.to == [due.guest.email]
    assert review_url(due) in email.body


# --- search and cached pages ------------------------------------------------------------


def test_search_filters_by_minimum_rating_in_sql(client):
    top = write(stayed(listing=ListingFactory(title="Top rated")), overall=5).listing
    write(stayed(listing=ListingFactory(title="So so")), overall=3)
    ListingFactory(title="Not yet reviewed")

    def titles(query):
        response = client.get(f"/spaces/{query}")
        assert response.status_code == 200
        return {listing.title for listing in response.context["listings"]}

    assert titles("?min_rating=4.5") == {top.title}
    assert titles("?min_rating=3") == {"Top rated", "So so"}
    response = client.get("/spaces/?min_rating=9")
    assert "Choose a rating of 3, 4 or 4.5 and up." in response.text
    assert len(response.context["listings"]) == 3
    assert "★ 5.0 · 1 review" in client.get("/spaces/?min_rating=4.5").text


def test_a_new_review_shows_on_the_cached_listing_page(django_capture_on_commit_callbacks):
    page_cache = PageCache(get_wsgi_application())
    booking = stayed()
    url = booking.listing.get_absolute_url()
    assert "No reviews yet" in wsgi_get(page_cache, url).text
    assert wsgi_get(page_cache, url).header("X-Page-Cache") == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        write(booking, text="Bright and calm.")
    assert "Bright and calm." in wsgi_get(page_cache, url).text


def test_reviews_are_paginated_newest_first_in_constant_queries(client, django_assert_num_queries):
    listing = ListingFactory()
    for n in range(12):
        review = write(stayed(listing=listing), text=f"Review number {n}.")
        Review.objects.filter(pk=review.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=12 - n)
        )
    first = client.get(listing.get_absolute_url()).text
    assert "Review number 11." in first and "Review number 1." not in first
    assert first.index("Review number 11.") < first.index("Review number 10.")
    second = client.get(f"{listing.get_absolute_url()}?reviews=2").text
    assert "Review number 1." in second and "Review number 11." not in second
    assert client.get(f"{listing.get_absolute_url()}?reviews=abc").status_code == 200
    assert client.get(f"{listing.get_absolute_url()}?reviews=99999").status_code == 200
    client.get(listing.get_absolute_url())  # warm the per-process copies
    with django_assert_num_queries(7):
        # listing, photos, amenity ids, extras, availability, tour hours, and this page of
        # reviews: one query whatever their number (the count is the listing's own)
        client.get(f"{listing.get_absolute_url()}?reviews=2")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_reviews_of_one_booking_make_one(postgres_only):
    from bookings.tests.test_concurrency import run_together

    booking = stayed()
    outcomes = run_together([lambda n=n: write(booking, text=f"Take {n}") for n in range(6)])
    assert sum(isinstance(o, Review) for o in outcomes) == 1
    assert all("already reviewed" in str(o) for o in outcomes if isinstance(o, ValidationError))
    listing = Listing.objects.get(pk=booking.listing_id)
    assert (Review.objects.count(), listing.rating_count) == (1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_reply_saves_one_and_the_second_is_told_not_a_500(postgres_only):
    """Both posts pass the form while the review has no reply; the service, under the
    listing's lock, refuses the second: the host is told, and the page is never a 500."""
    import threading

    from django.db import connection, transaction
    from django.test import Client

    from listings.services import listing_lock
    from tests.locks import until_sessions_wait

    review = write(stayed())
    url = f"/host/bookings/review/{review.pk}/change/"
    answers = {}

    def post(text):
        client = Client(raise_request_exception=False)
        client.force_login(review.listing.host)
        try:
            answers[text] = client.post(url, {"reply": text}, follow=True)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(t,)) for t in ("First", "Second")]
    with transaction.atomic():
        listing_lock(listing_id=review.listing_id)
        for waiting, thread in enumerate(threads, start=1):
            thread.start()
            until_sessions_wait(waiting)
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r.status_code for r in answers.values()) == [200, 200]
    review.refresh_from_db()
    assert review.reply == "First"
    assert "already replied" in answers["Second"].text
