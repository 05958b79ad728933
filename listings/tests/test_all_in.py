"""The all-in monthly cost: extras written through the services, one SQL rule, shown on
cards, listing pages and the booking form, and a search sort."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.wsgi import get_wsgi_application

from accounts.services import host_enable
from accounts.tests.factories import UserFactory
from listings.models import Listing, ListingExtra
from listings.pricing import AllIn, all_in_amounts, with_all_in
from listings.services import listing_extra_delete, listing_extra_save
from listings.tests.factories import ListingFactory
from listings.tests.helpers import listing_change_form
from pivotdesk.pagecache import PageCache
from pivotdesk.tests.wsgi_util import wsgi_get

pytestmark = pytest.mark.django_db

PARKING = ListingExtra.Kind.PARKING
LOCKER = ListingExtra.Kind.LOCKER


def _hosted():
    """A listing whose host may use /host/."""
    return ListingFactory(host=host_enable(user=UserFactory()))


def _all_in(listing, desks):
    return AllIn.of(with_all_in(Listing.objects.filter(pk=listing.pk), desks=desks).get())


def test_required_extras_are_part_of_the_all_in_cost_and_optional_ones_are_not():
    listing = ListingFactory(price_per_desk=Decimal("349.99"), deposit_months=1)
    listing_extra_save(listing=listing, kind=PARKING, required=True, price_cents=7500)
    listing_extra_save(listing=listing, kind=LOCKER, required=False, price_cents=2000)
    listing.refresh_from_db()
    assert listing.extras_required_cents == 7500

    amounts = _all_in(listing, desks=3)
    assert amounts.desks == 3
    assert amounts.rent_cents == 3 * 34999  # exact cents, no float drift
    assert amounts.all_in_cents == 3 * 34999 + 7500
    assert amounts.deposit_cents == 3 * 34999  # one month's rent, extras not included
    assert amounts.move_in_cents == amounts.all_in_cents + amounts.deposit_cents
    assert amounts.label == "1,124.97"


def test_desks_asked_default_to_one_are_capped_and_an_office_is_let_whole():
    desks = ListingFactory(desks=6, price_per_desk=Decimal("300"))
    assert _all_in(desks, desks=None).all_in_cents == 30000
    assert _all_in(desks, desks=50).desks == 6
    office = ListingFactory(
        space_type=Listing.SpaceType.PRIVATE_OFFICE, desks=4, price_per_desk=Decimal("500")
    )
    assert _all_in(office, desks=1).all_in_cents == 4 * 50000
    assert _all_in(office, desks=None).desks == 4


@pytest.mark.parametrize("space_type", Listing.SpaceType.values)
def test_one_desk_amounts_are_the_databases_columns_and_follow_every_change(space_type):
    # One desk asked (a search without a team size, a listing page from a card) reads the
    # amounts the database keeps on the row instead of computing the rule in each query; they
    # must be what the rule gives for one desk, after any write: a form, a service, update().
    listing = ListingFactory(space_type=space_type, desks=4, price_per_desk=Decimal("349.99"))
    one_desk = with_all_in(Listing.objects.filter(pk=listing.pk), desks=None)
    assert "CASE" not in str(one_desk.query).upper()

    def written_out():
        # The rule for one desk asked, annotated under other names.
        office = Listing.SpaceType.PRIVATE_OFFICE
        rule = all_in_amounts(asked=1, private_office=office, inline=True)
        row = Listing.objects.annotate(**{f"rule_{k}": v for k, v in rule.items()}).get(
            pk=listing.pk
        )
        return AllIn(
            desks=row.rule_all_in_desks,
            rent_cents=row.rule_rent_cents,
            extras_cents=row.extras_required_cents,
            all_in_cents=row.rule_all_in_cents,
            deposit_cents=row.rule_deposit_cents,
            move_in_cents=row.rule_move_in_cents,
        )

    assert _all_in(listing, desks=None) == written_out()
    assert _all_in(listing, desks=1) == written_out()
    listing_extra_save(listing=listing, kind=PARKING, required=True, price_cents=7500)
    Listing.objects.filter(pk=listing.pk).update(price_per_desk=Decimal("120.50"), desks=2)
    listing.refresh_from_db()
    listing.deposit_months = 2
    listing.save()
    amounts = _all_in(listing, desks=None)
    assert amounts == written_out()
    desks = 2 if space_type == Listing.SpaceType.PRIVATE_OFFICE else 1
    assert (amounts.desks, amounts.rent_cents) == (desks, desks * 12050)
    assert amounts.all_in_cents == desks * 12050 + 7500
    assert amounts.move_in_cents == amounts.all_in_cents + 2 * desks * 12050


def test_changing_and_deleting_extras_keeps_the_sum():
    listing = ListingFactory()
    extra = listing_extra_save(listing=listing, kind=PARKING, required=True, price_cents=7500)
    listing_extra_save(listing=listing, kind=PARKING, required=False, price_cents=7500, extra=extra)
    listing.refresh_from_db()
    assert listing.extras_required_cents == 0
    listing_extra_save(listing=listing, kind=PARKING, required=True, price_cents=9900, extra=extra)
    listing.refresh_from_db()
    assert listing.extras_required_cents == 9900
    listing_extra_delete(extra=extra)
    listing.refresh_from_db()
    assert listing.extras_required_cents == 0
    assert not ListingExtra.objects.exists()


@pytest.mark.parametrize("price", [0, -500, 500_001, 10**12])
def test_absurd_prices_are_refused_and_nothing_is_saved(price):
    listing = ListingFactory()
    with pytest.raises(ValidationError):
        listing_extra_save(listing=listing, kind=PARKING, required=True, price_cents=price)
    listing.refresh_from_db()
    assert listing.extras_required_cents == 0
    assert not ListingExtra.objects.exists()


def test_one_extra_of_each_kind():
    listing = ListingFactory()
    listing_extra_save(listing=listing, kind=PARKING, required=True, price_cents=100)
    with pytest.raises(ValidationError, match="already offers parking"):
        listing_extra_save(listing=listing, kind=PARKING, required=False, price_cents=200)
    assert ListingExtra.objects.count() == 1


def test_an_extra_of_another_listing_cannot_be_changed_through_this_one():
    mine, theirs = ListingFactory(), ListingFactory()
    extra = listing_extra_save(listing=theirs, kind=PARKING, required=True, price_cents=100)
    with pytest.raises(ValidationError):
        listing_extra_save(listing=mine, kind=PARKING, required=True, price_cents=1, extra=extra)
    extra.refresh_from_db()
    assert extra.price_cents == 100


def test_search_sorts_by_the_all_in_cost_for_the_desks_asked(client):
    # Cheap desks with a dear required extra, dear desks with none.
    cheap_desks = ListingFactory(title="Cheap desks", price_per_desk=Decimal("300"))
    listing_extra_save(listing=cheap_desks, kind=PARKING, required=True, price_cents=20000)
    dear_desks = ListingFactory(title="Dear desks", price_per_desk=Decimal("380"))

    def order(query):
        response = client.get(f"/spaces/?sort=all_in{query}")
        assert response.status_code == 200
        return [listing.title for listing in response.context["listings"]]

    assert order("") == ["Dear desks", "Cheap desks"]  # one desk: $380 < $500
    assert order("&desks=5") == ["Cheap desks", "Dear desks"]  # $1,700 < $1,900
    page = client.get("/spaces/?sort=all_in&desks=5").content.decode()
    assert "<strong>$1,700</strong> a month all-in for 5 desks" in page
    assert "<strong>$1,900</strong> a month all-in for 5 desks" in page
    assert dear_desks.title in page


def test_one_cached_card_serves_every_team_size(client, django_assert_num_queries):
    listing = ListingFactory(price_per_desk=Decimal("400"))
    assert "<strong>$400</strong> a month all-in for 1 desk" in client.get("/spaces/").text
    # The card itself is cached now; the all-in line still follows the desks asked.
    assert "<strong>$1,200</strong> a month all-in for 3 desks" in (
        client.get("/spaces/?desks=3").text
    )
    assert listing.title in client.get("/").text
    assert "<strong>$400</strong> a month all-in" in client.get("/").text
    assert "<strong>$400</strong> a month all-in" in client.get("/spaces/boulder/").text


def test_listing_page_shows_the_all_in_cost_extras_and_move_in(client):
    listing = ListingFactory(price_per_desk=Decimal("350"), deposit_months=2)
    listing_extra_save(listing=listing, kind=PARKING, required=True, price_cents=7550)
    listing_extra_save(listing=listing, kind=LOCKER, required=False, price_cents=2500)
    page = client.get(f"{listing.get_absolute_url()}?desks=2").text
    assert "$775.50 a month all-in</strong> for 2 desks" in page
    assert "Parking</dt><dd>$75.50 a month · required" in page
    assert "Locker</dt><dd>$25 a month · optional" in page
    # First month all-in + two months' rent.
    assert "Due at move-in</dt><dd>$2,175.50: the first month and a $1,400 deposit" in page
    assert (
        "$425.50 a month all-in</strong> for 1 desk" in client.get(listing.get_absolute_url()).text
    )


def test_booking_form_shows_what_is_due_at_move_in_and_each_month(client):
    listing = ListingFactory(price_per_desk=Decimal("350"), deposit_months=1)
    listing_extra_save(listing=listing, kind=PARKING, required=True, price_cents=5000)
    listing_extra_save(listing=listing, kind=LOCKER, required=False, price_cents=1500)
    client.force_login(UserFactory())
    page = client.get(f"{listing.get_absolute_url()}book/?desks=2").text
    assert "What you pay for 2 desks" in page
    assert "$750 all-in: $700 rent + $50 required extras" in page
    assert "Due at move-in</dt><dd>$1,450: the first month + a $700 deposit" in page
    assert "Optional: Locker</dt><dd>$15 a month" in page
    # Garbage desks: the form's own default (one desk), never a 500.
    page = client.get(f"{listing.get_absolute_url()}book/?desks=-9x").text
    assert "What you pay for 1 desk" in page


def test_a_new_required_extra_shows_on_the_cached_listing_page(
    django_capture_on_commit_callbacks,
):
    page_cache = PageCache(get_wsgi_application())
    listing = ListingFactory(price_per_desk=Decimal("350"))
    url = listing.get_absolute_url()
    assert "$350 a month all-in" in wsgi_get(page_cache, url).text
    assert wsgi_get(page_cache, url).header("X-Page-Cache") == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        listing_extra_save(listing=listing, kind=PARKING, required=True, price_cents=5000)
    assert "$400 a month all-in" in wsgi_get(page_cache, url).text


def test_host_adds_extras_inline_in_the_host_admin(client):
    listing = _hosted()
    client.force_login(listing.host)
    url = f"/host/listings/listing/{listing.pk}/change/"
    data = listing_change_form(
        listing,
        **{
            "extras-TOTAL_FORMS": "2",
            "extras-INITIAL_FORMS": "0",
            "extras-MIN_NUM_FORMS": "0",
            "extras-MAX_NUM_FORMS": "4",
            "extras-0-kind": "parking",
            "extras-0-required": "on",
            "extras-0-price_cents": "7500",
            "extras-1-kind": "mailbox",
            "extras-1-price_cents": "1500",
        },
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    listing.refresh_from_db()
    assert listing.extras_required_cents == 7500
    assert sorted(listing.extras.values_list("kind", flat=True)) == ["mailbox", "parking"]


@pytest.mark.parametrize("price", ["-100", "0", "99999999999", "12.5", "abc"])
def test_host_admin_refuses_bad_extra_prices_with_a_form_error(client, price):
    listing = _hosted()
    client.force_login(listing.host)
    data = listing_change_form(
        listing,
        **{
            "extras-TOTAL_FORMS": "1",
            "extras-INITIAL_FORMS": "0",
            "extras-0-kind": "parking",
            "extras-0-required": "on",
            "extras-0-price_cents": price,
        },
    )
    response = client.post(f"/host/listings/listing/{listing.pk}/change/", data)
    assert response.status_code == 200  # the form again, with the error
    assert not ListingExtra.objects.exists()
    listing.refresh_from_db()
    assert listing.extras_required_cents == 0


def test_a_host_cannot_edit_another_hosts_extra_by_forging_its_id(client):
    theirs = ListingFactory()
    extra = listing_extra_save(listing=theirs, kind=PARKING, required=True, price_cents=100)
    mine = _hosted()
    client.force_login(mine.host)
    data = listing_change_form(
        mine,
        **{
            "extras-TOTAL_FORMS": "1",
            "extras-INITIAL_FORMS": "1",
            "extras-0-id": str(extra.pk),
            "extras-0-kind": "parking",
            "extras-0-price_cents": "1",
        },
    )
    response = client.post(f"/host/listings/listing/{mine.pk}/change/", data)
    assert response.status_code in (200, 302)  # the form again, or the row ignored
    extra.refresh_from_db()
    assert list(ListingExtra.objects.all()) == [extra]
    assert extra.price_cents == 100 and extra.listing_id == theirs.pk


def test_a_new_optional_extra_shows_on_the_cached_listing_page(
    django_capture_on_commit_callbacks,
):
    page_cache = PageCache(get_wsgi_application())
    listing = ListingFactory()
    url = listing.get_absolute_url()
    assert "Locker" not in wsgi_get(page_cache, url).text
    with django_capture_on_commit_callbacks(execute=True):
        listing_extra_save(listing=listing, kind=LOCKER, required=False, price_cents=1500)
    assert "Locker</dt><dd>$15 a month · optional" in wsgi_get(page_cache, url).text
