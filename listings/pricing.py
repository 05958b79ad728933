"""The all-in monthly cost: what a team really pays a month, and what is due at move-in.

The one place the rule is written (``all_in_amounts``), as SQL, so the search can sort
10,000 listings by it and a page of cards costs no query more. For one desk asked the
database keeps the amounts in generated columns (``Listing.one_desk_*``, decision 0225);
for more desks each query annotates them:

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
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Least, Round

# The annotations ``with_all_in`` adds, in the order the rule builds them.
AMOUNTS = ("all_in_desks", "rent_cents", "all_in_cents", "deposit_cents", "move_in_cents")


def all_in_amounts(*, asked: int, private_office: str, inline: bool) -> dict[str, Combinable]:
    """The rule as SQL expressions over a listing's columns for ``asked`` desks asked (at
    least one), keyed by ``AMOUNTS``. ``private_office``: ``Listing.SpaceType``'s value for
    an office let whole (a parameter: ``Listing`` builds its one-desk columns from this
    before it exists).

    ``inline``: each amount written out from the columns, as a generated column must be
    (one may not read another); otherwise an amount refers to the ones before it by name,
    for ``annotate`` (each resolved once: written out, ~0.8 ms more CPU a query).
    """
    amounts: dict[str, Combinable] = {}

    def before(name: str) -> Combinable:
        return amounts[name] if inline else F(name)

    amounts["all_in_desks"] = Case(
        When(space_type=private_office, then=F("desks")),
        default=Least(Value(asked), F("desks")),
        output_field=IntegerField(),
    )
    # Round before the cast: SQLite holds the price as a float (349.99 * 100 = 34998.99...).
    price_cents = Cast(Round(F("price_per_desk") * 100), IntegerField())
    amounts["rent_cents"] = before("all_in_desks") * price_cents
    amounts["all_in_cents"] = before("rent_cents") + F("extras_required_cents")
    amounts["deposit_cents"] = F("deposit_months") * before("rent_cents")
    amounts["move_in_cents"] = before("all_in_cents") + before("deposit_cents")
    return amounts


def with_all_in(queryset: QuerySet, *, desks: int | None) -> QuerySet:
    """``queryset`` (of listings) annotated for ``desks`` desks asked (None: the minimum, one
    desk) with ``all_in_desks``, ``rent_cents``, ``all_in_cents``, ``deposit_cents`` and
    ``move_in_cents`` (see the module docstring)."""
    asked = max(int(desks or 1), 1)
    if asked == 1:
        # The database keeps the one-desk amounts in generated columns (``one_desk_*``,
        # Listing): compiling the rule's expression was ~0.9 ms of CPU a query.
        return queryset.annotate(**{name: F(f"one_desk_{name}") for name in AMOUNTS})
    office = queryset.model.SpaceType.PRIVATE_OFFICE
    return queryset.annotate(**all_in_amounts(asked=asked, private_office=office, inline=False))


def cents_label(cents: int) -> str:
    """Whole cents as dollars for people: "1,250" or "1,250.50"."""
    dollars, rest = divmod(int(cents), 100)
    return f"{dollars:,}" if not rest else f"{dollars:,}.{rest:02d}"


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
    def of(cls, listing) -> "AllIn | None":
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
