import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from bookings.models import Booking, Message, Review
from bookings.tests.factories import BookingFactory
from listings.models import Amenity, City, Listing, Neighborhood, Photo

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (City, Neighborhood, Amenity, Listing, Photo, User, Booking, Message)
    }


def test_seed_demo_is_idempotent_and_looks_real():
    call_command("seed_demo", stdout=None)
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first

    assert set(City.objects.values_list("slug", flat=True)) == {"boulder", "denver"}
    hoods = set(Neighborhood.objects.values_list("name", flat=True))
    assert {"Pearl Street", "NoBo", "Gunbarrel", "LoDo", "RiNo", "LoHi", "Cherry Creek"} <= hoods
    published = Listing.objects.published()
    assert published.count() >= 40
    assert published.values("host").distinct().count() >= 4
    prices = published.values_list("price_per_desk", flat=True)
    assert 150 <= min(prices) and max(prices) <= 900
    assert not published.filter(title__iregex=r"^(\w+) \1 ").exists()  # "Corner corner …"
    for listing in published.prefetch_related("photos"):
        assert 2 <= len(listing.photos.all()) <= 4
        assert listing.neighborhood.city_id == listing.city_id
        # Coordinates sit within about half a kilometre of the neighborhood centre.
        assert abs(listing.latitude - listing.neighborhood.latitude) < 0.01
        assert abs(listing.longitude - listing.neighborhood.longitude) < 0.01
    assert User.objects.filter(email="guest@pivotdesk.test", is_host=False).exists()
    assert User.objects.filter(email="host@pivotdesk.test", is_host=True).exists()


def test_seed_demo_gives_the_demo_host_a_request_to_answer_and_mails_nobody(
    run_jobs,
):
    call_command("seed_demo")
    call_command("seed_demo")
    run_jobs()

    bookings = Booking.objects.filter(guest__email="guest@pivotdesk.test").order_by("pk")
    assert [b.status for b in bookings] == ["requested", "approved", "approved"]
    pending, approved, instant = bookings
    assert pending.listing.host.email == approved.listing.host.email == "host@pivotdesk.test"
    assert instant.listing.instant_book and instant.listing.host.email != "host@pivotdesk.test"
    assert [m.author.email for m in approved.messages.order_by("pk")] == [
        "host@pivotdesk.test",
        "guest@pivotdesk.test",
    ]
    assert {e.to_status for e in approved.events.all()} == {"requested", "approved"}
    assert mail.outbox == []  # demo history is not news


def test_seed_demo_still_finishes_when_desks_were_taken_by_hand():
    """make run after playing with the site: the demo bookings no longer fit; none is made,
    nothing half-made stays, and the command still succeeds."""
    call_command("seed_demo")
    demo = Booking.objects.filter(guest__email="guest@pivotdesk.test")
    first_space = demo.order_by("pk").first().listing
    Review.objects.all().delete()  # reviews keep their bookings
    Booking.objects.all().delete()
    BookingFactory(
        listing=first_space,
        desks=first_space.desks,
        start=first_space.available_from,
        months=24,
        status=Booking.Status.APPROVED,
    )
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "demo bookings skipped" in out.getvalue()
    assert not demo.exists() and not Message.objects.exists()


def test_seed_demo_listings_adds_generated_listings_in_bulk():
    call_command("seed_demo")
    before = Listing.objects.count()
    call_command("seed_demo", listings=120)
    call_command("seed_demo", listings=30)
    assert Listing.objects.count() == before + 150
    generated = Listing.objects.filter(slug__contains="-gen-")
    assert generated.count() == 150
    assert Photo.objects.filter(listing__in=generated).count() == 300


def test_seed_demo_bulk_listings_make_cached_pages_stale():
    from pivotdesk.pagecache import content_version

    call_command("seed_demo")
    before = content_version()
    call_command("seed_demo", listings=5)
    assert content_version() > before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are Postgres's")
def test_seed_demo_bulk_listings_leave_fresh_planner_statistics():
    # Without them Postgres plans searches as if the table were empty (docs/PERFORMANCE.md).
    call_command("seed_demo", listings=150)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = %s", [Listing._meta.db_table]
        )
        (estimated,) = cursor.fetchone()
    assert estimated == Listing.objects.count()


def test_seed_demo_gives_a_few_listings_tour_hours_once():
    from tours.models import TourHours
    from tours.selectors import tour_upcoming_days

    call_command("seed_demo")
    toured = Listing.objects.filter(tour_hours__isnull=False).distinct()
    assert 3 <= toured.count() <= 7
    assert any(tour_upcoming_days(listing=listing) for listing in toured)
    before = TourHours.objects.count()
    call_command("seed_demo")
    assert TourHours.objects.count() == before


def test_seed_demo_puts_the_demo_guest_in_a_waitlist_once():
    from waitlist.models import WaitlistEntry
    from waitlist.selectors import waitlist_place

    call_command("seed_demo")
    call_command("seed_demo")
    [entry] = WaitlistEntry.objects.all()
    assert entry.guest.email == "guest@pivotdesk.test"
    assert entry.listing.host.email == "host@pivotdesk.test"
    assert entry.status == WaitlistEntry.Status.WAITING and waitlist_place(entry=entry) == 1


def test_seed_demo_shows_extras_reviews_and_answer_times(client):
    from listings.models import ListingExtra

    call_command("seed_demo")
    call_command("seed_demo")
    assert ListingExtra.objects.count() == 5
    assert Review.objects.count() == 3
    reviewed = Review.objects.first().listing
    assert reviewed.rating_count == 3
    page = client.get(reviewed.get_absolute_url()).text
    assert "Reviews from guests who stayed" in page and "The host replied" in page
    assert "a month all-in" in page and "Parking" in page
    assert "Usually answers within" in page


def test_seed_demo_adds_two_question_threads_once_and_mails_nobody(client, run_jobs):
    from questions.models import Conversation
    from questions.models import Message as QuestionMessage

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "demo questions: guest@pivotdesk.test asked" in out.getvalue()
    call_command("seed_demo")
    run_jobs()
    assert mail.outbox == []  # demo history is not news

    conversations = Conversation.objects.order_by("pk")
    assert conversations.count() == 2 and QuestionMessage.objects.count() == 5
    for conversation in conversations:
        assert conversation.guest.email == "guest@pivotdesk.test" and conversation.is_open
        guest, host = conversation.guest, conversation.listing.host
        authors = [m.author for m in conversation.messages.all()][:2]
        assert authors == [guest, host]  # a question, then the host's answer
    waiting, answered = conversations
    assert waiting.listing.host.email == "host@pivotdesk.test"
    assert answered.listing.host.email != "host@pivotdesk.test"
    # The demo host sees the guest's follow-up waiting for their reply.
    client.force_login(waiting.listing.host)
    page = client.get("/questions/").text
    assert "Waiting for your reply" in page and waiting.get_absolute_url() in page
