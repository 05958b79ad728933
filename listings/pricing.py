"""The all-in monthly cost: what a team really pays a month, and what is due at move-in.

The one place the rule is written, as SQL (an annotation), so the search can sort 10,000
listings by it and a page of cards costs no query more:

- desks charged: a private office's ``desks`` (let whole), else the desks asked, at least
  one and at most the listing's capacity;
- rent: ``price_per_desk`` in cents × desks charged;
- all-in a month: rent + the required extras (``Listing.extras_required_cents``);
- deposit: ``deposit_months`` × rent (extras are not part of the deposit);
- due at move-in: the first month all-in + the deposit.

Every amount is integer cents (USD).
"""

from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Cast, Least, Round

from .models import Listing, cents_label


def _desks_charged(desks: int | None):
    asked = max(int(desks or 1), 1)
    return Case(
        When(space_type=Listing.SpaceType.PRIVATE_OFFICE, then=F("desks")),
        default=Least(Value(asked), F("desks")),
        output_field=IntegerField(),
    )


def with_all_in(queryset: QuerySet[Listing], *, desks: int | None) -> QuerySet[Listing]:
    """``queryset`` annotated for ``desks`` desks asked (None: the minimum, one desk) with
    ``all_in_desks``, ``rent_cents``, ``all_in_cents``, ``deposit_cents`` and
    ``move_in_cents`` (see the module docstring)."""
    # Round before the cast: SQLite holds the price as a float (349.99 * 100 = 34998.99...).
    price_cents = Cast(Round(F("price_per_desk") * 100), IntegerField())
    return queryset.annotate(
        all_in_desks=_desks_charged(desks),
        rent_cents=F("all_in_desks") * price_cents,
        all_in_cents=F("rent_cents") + F("extras_required_cents"),
        deposit_cents=F("deposit_months") * F("rent_cents"),
        move_in_cents=F("all_in_cents") + F("deposit_cents"),
    )


@dataclass(frozen=True)
class AllIn:
    """The annotated amounts of one listing, for templates (labels in dollars)."""

    desks: int
    rent_cents: int
    extras_cents: int
    all_in_cents: int
    deposit_cents: int
    move_in_cents: int

    @classmethod
    def of(cls, listing: Listing) -> "AllIn | None":
        """From a listing fetched through ``with_all_in``; None for one fetched without."""
        if getattr(listing, "all_in_cents", None) is None:
            return None
        return cls(
            desks=listing.all_in_desks,
            rent_cents=listing.rent_cents,
            extras_cents=listing.extras_required_cents,
            all_in_cents=listing.all_in_cents,
            deposit_cents=listing.deposit_cents,
            move_in_cents=listing.move_in_cents,
        )

    @property
    def label(self) -> str:
        return cents_label(self.all_in_cents)

    @property
    def rent_label(self) -> str:
        return cents_label(self.rent_cents)

    @property
    def extras_label(self) -> str:
        return cents_label(self.extras_cents)

    @property
    def deposit_label(self) -> str:
        return cents_label(self.deposit_cents)

    @property
    def move_in_label(self) -> str:
        return cents_label(self.move_in_cents)
