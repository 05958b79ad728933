from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from listings.models import Listing
from listings.tests.factories import CityFactory, ListingFactory, NeighborhoodFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "field, value",
    [
        ("desks", 0),
        ("price_per_desk", Decimal("0")),
        ("price_per_desk", Decimal("-5")),
        ("min_term_months", 0),
        ("deposit_months", 3),
    ],
)
def test_database_rejects_listing_without_positive_capacity_price_or_term_or_a_big_deposit(
    field, value
):
    listing = ListingFactory()
    setattr(listing, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        # update() skips model validation: the constraint itself must refuse it.
        Listing.objects.filter(pk=listing.pk).update(**{field: value})


def test_deposit_over_two_months_is_a_field_error_and_shows_on_the_page(client):
    from django.core.exceptions import ValidationError

    from listings.services import listing_update

    listing = ListingFactory(deposit_months=2)
    assert (
        "2 months' rent, refunded after you leave"
        in client.get(listing.get_absolute_url()).content.decode()
    )
    listing_update(listing=listing, data={"deposit_months": 1})
    assert (
        "1 month's rent, refunded after you leave"
        in client.get(listing.get_absolute_url()).content.decode()
    )
    listing.deposit_months = 3
    with pytest.raises(ValidationError) as exc:
        listing.full_clean()
    assert "deposit_months" in exc.value.message_dict


def test_slug_is_unique_per_city_but_may_repeat_in_another_city():
    boulder = NeighborhoodFactory()
    denver = NeighborhoodFactory(city=CityFactory(name="Denver"), name="LoDo")
    ListingFactory(neighborhood=boulder, slug="sunny-desks")
    ListingFactory(neighborhood=denver, slug="sunny-desks")
    with pytest.raises(IntegrityError), transaction.atomic():
        ListingFactory(neighborhood=boulder, slug="sunny-desks")


def test_published_queryset_and_absolute_url():
    draft = ListingFactory(status=Listing.Status.DRAFT)
    live = ListingFactory(slug="corner-office")
    assert list(Listing.objects.published()) == [live]
    assert draft not in Listing.objects.published()
    assert live.get_absolute_url() == "/spaces/boulder/corner-office/"


@pytest.mark.parametrize(
    "price, label",
    [("350.00", "350"), ("1250.50", "1,251"), ("999.49", "999"), ("12500.00", "12,500")],
)
def test_price_label_is_whole_dollars_rounded_half_up_with_separators(price, label):
    # What the cards, the listing page and the map pins show ("$1,251 per desk / month").
    assert Listing(price_per_desk=Decimal(price)).price_label == label
