"""Reads for payments: a booking's money, a guest's card, a host's ledger."""

import datetime
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking

from .models import Charge, ChargeRefund, Customer, DepositSettlement
from .rules import refund_part


def card_on_file(*, user: User) -> Customer | None:
    customer = Customer.objects.filter(user=user).first()
    return customer if customer is not None and customer.has_card else None


def booking_charges(*, booking: Booking) -> QuerySet[Charge]:
    return Charge.objects.filter(booking=booking).order_by("period_start")


def booking_rent_refundable_cents(
    *, booking: Booking, periods_from: datetime.date | None = None
) -> int:
    """The rent ``booking``'s collected charges hold unrefunded for periods before its end:
    the most an operator ending it may give back (its deposit is settled after the end,
    apart; rent paid for a period from the end on goes back whole by itself). With
    ``periods_from``, only the periods from that day on."""
    charges = Charge.objects.collected().filter(booking=booking)
    if periods_from is None:
        charges = charges.filter(period_start__lt=booking.end)
    else:
        charges = charges.filter(period_start__gte=periods_from)
    return sum(charge.rent_refundable_cents for charge in charges)


def booking_payment_state(*, booking: Booking) -> str:
    """What the booking page says: "due", "refunded" (the deposit, or everything after a
    cancellation, went back), "paid", or "" (nothing charged yet)."""
    charges = list(booking_charges(booking=booking).values_list("status", flat=True))
    if Charge.Status.DUE in charges:
        return "due"
    if (
        Charge.Status.REFUNDED in charges
        or DepositSettlement.objects.filter(
            booking=booking, status=DepositSettlement.Status.REFUNDED
        ).exists()
    ):
        return "refunded"
    if charges and all(s in (Charge.Status.PAID, Charge.Status.VOID) for s in charges):
        return "paid"
    return ""


def charges_visible_to(*, user: User) -> QuerySet[Charge]:
    """Every charge ``user`` may see: whoever may see its booking
    (``BookingQuerySet.visible_to``: the maker of a personal booking, the current members of
    a team booking's team, the host) and operators (``User.is_operator``), every charge. The
    one rule for a charge's invoice and receipt pages and for the list of invoices. An
    ``EXISTS`` on the charge's row: one row per charge, one query, however many members a
    team has."""
    charges = Charge.objects.all()
    if user.is_operator:
        return charges
    return charges.filter(
        Exists(Booking.objects.visible_to(user).filter(pk=OuterRef("booking_id")))
    )


def charges_paid_by(*, user: User) -> QuerySet[Charge]:
    """The charges ``user`` or their teams pay: those of the bookings they book
    (``BookingQuerySet.booked_by``), a part of what they may see. A host's spaces' charges
    are in the host's statement, every charge in the operators' admin."""
    return Charge.objects.filter(
        Exists(Booking.objects.booked_by(user).filter(pk=OuterRef("booking_id")))
    )


def charge_visible(*, user: User, pk: int) -> Charge | None:
    """The charge ``pk`` if ``user`` may see it (``charges_visible_to``), or None. With its
    booking's team (read through the booking: payments builds on bookings, which builds on
    teams)."""
    return (
        charges_visible_to(user=user)
        .select_related(
            "booking__listing__city", "booking__listing__host", "booking__guest", "booking__team"
        )
        .filter(pk=pk)
        .first()
    )


INVOICES_PER_PAGE = 25


def invoice_list(
    *, user: User, team_id: int | None = None, year: int | None = None
) -> QuerySet[Charge]:
    """The invoices ``user`` or their teams pay (``charges_paid_by``), newest first, each with its
    date (``dated``: paid, or else written), space, booking and team; only team ``team_id``'s
    bookings, only those dated in ``year`` (America/Denver), when given. The caller checks
    that ``user`` belongs to the team: the rule above keeps the rows to what they may see
    either way."""
    charges = charges_paid_by(user=user).annotate(dated=Coalesce("paid_at", "created_at"))
    if team_id is not None:
        charges = charges.filter(booking__team_id=team_id)
    if year is not None:
        charges = charges.filter(dated__year=year)
    return charges.select_related("booking__listing__city", "booking__team").order_by(
        "-dated", "-pk"
    )


def invoice_page(*, user: User, team_id: int | None, year: int | None, page: str | None) -> Page:
    """Page ``page`` of ``invoice_list`` (a garbage number: the first; past the end: the
    last), ``INVOICES_PER_PAGE`` rows: two queries (the count, the rows) however many."""
    paginator = Paginator(invoice_list(user=user, team_id=team_id, year=year), INVOICES_PER_PAGE)
    return paginator.get_page((page or "")[:12])


def invoice_years(*, user: User) -> list[int]:
    """The years (America/Denver) of the invoices ``user`` or their teams pay, newest first."""
    years = (
        charges_paid_by(user=user)
        .annotate(year=ExtractYear(Coalesce("paid_at", "created_at")))
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    return list(years)


def charge_refund_lines(*, charge: Charge) -> list[ChargeRefund]:
    """The invoice's refund lines: each Stripe refund of ``charge``, oldest first, those that
    failed too (``ChargeRefund.is_failed``: shown as failed, not taken off); none, and no
    query, for a charge never refunded (``refund_id`` is set with its first row)."""
    if not charge.refund_id:
        return []
    return list(ChargeRefund.objects.filter(charge=charge).order_by("refunded_at", "pk"))


def charge_of_guest_to_confirm(*, user: User, pk: int) -> Charge | None:
    """A charge of ``user``'s own booking made on a PaymentIntent (paid, or waiting for
    the guest's bank), or None: the host, an operator and anyone else get nothing."""
    return (
        Charge.objects.select_related("booking__listing")
        .filter(pk=pk, booking__guest=user)
        .exclude(payment_intent_id="")
        .first()
    )


@dataclass(frozen=True)
class Refund:
    """One Stripe refund of a charge, made in the statement's month: a negative line with its
    own date and amount, split into the rent, fee returned and deposit it gave back
    (``payments.rules.refund_part``)."""

    charge: Charge
    rent_cents: int
    fee_cents: int
    deposit_cents: int
    refunded_at: datetime.datetime
    amount_cents: int


@dataclass(frozen=True)
class Statement:
    """A host's month: charges paid in it (whatever happened to them later), refunds made in
    it, deposits settled in it, and what the host is owed for it."""

    month: datetime.date
    charges: list[Charge]
    refunds: list[Refund]
    settlements: list[DepositSettlement]
    rent_cents: int
    fee_cents: int
    deposits_held_cents: int
    deposits_refunded_cents: int
    deposits_kept_cents: int

    @property
    def rent_refunded_cents(self) -> int:
        return sum(r.rent_cents for r in self.refunds)

    @property
    def fee_returned_cents(self) -> int:
        """The platform's fee on rent refunded, given back to the host."""
        return sum(r.fee_cents for r in self.refunds)

    @property
    def net_cents(self) -> int:
        """Owed to the host: rent less the platform's fee, less rent refunded (its fee
        returned), plus deposits kept."""
        return (
            self.rent_cents
            - self.fee_cents
            - self.rent_refunded_cents
            + self.fee_returned_cents
            + self.deposits_kept_cents
        )


def _month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(following, datetime.time.min, tzinfo=tz),
    )


def host_statement(*, host: User | None, month: datetime.date) -> Statement:
    """One month (America/Denver) of ``host``'s money; ``host`` None: every host's."""
    start, end = _month_bounds(month)
    charges = Charge.objects.collected().filter(paid_at__gte=start, paid_at__lt=end)
    # Each refund in the month it was made, with what the charge's earlier refunds (of any
    # month) add up to, in the same query.
    # A refund Stripe could not make after all (failed_at) gave nothing back: left out.
    earlier = (
        ChargeRefund.objects.made()
        .filter(charge=OuterRef("charge"))
        .filter(
            Q(refunded_at__lt=OuterRef("refunded_at"))
            | Q(refunded_at=OuterRef("refunded_at"), pk__lt=OuterRef("pk"))
        )
        .values("charge")
        .annotate(total=Sum("amount_cents"))
        .values("total")
    )
    refunded = (
        ChargeRefund.objects.made()
        .filter(refunded_at__gte=start, refunded_at__lt=end)
        .annotate(before=Coalesce(Subquery(earlier), 0))
    )
    settlements = DepositSettlement.objects.filter(
        status=DepositSettlement.Status.REFUNDED, refunded_at__gte=start, refunded_at__lt=end
    )
    if host is not None:
        charges = charges.for_host(host)
        refunded = refunded.filter(charge__booking__listing__host=host)
        settlements = settlements.filter(booking__listing__host=host)
    charges = charges.select_related("booking__listing", "booking__guest").order_by("paid_at")
    refunded = refunded.select_related("charge__booking__listing").order_by("refunded_at", "pk")
    settlements = settlements.select_related("booking__listing").order_by("refunded_at")
    totals = charges.aggregate(
        rent=Sum("rent_cents", default=0),
        fee=Sum("fee_cents", default=0),
        deposit=Sum("deposit_cents", default=0),
    )
    back = settlements.aggregate(
        refunded=Sum("held_cents", default=0) - Sum("kept_cents", default=0),
        kept=Sum("kept_cents", default=0),
    )
    refunds = [
        Refund(
            row.charge,
            *refund_part(
                before_cents=row.before,
                amount_cents=row.amount_cents,
                rent_cents=row.charge.rent_cents,
                deposit_cents=row.charge.deposit_cents,
                fee_cents=row.charge.fee_cents,
            ),
            refunded_at=row.refunded_at,
            amount_cents=row.amount_cents,
        )
        for row in refunded
    ]
    return Statement(
        month=start.date(),
        charges=list(charges),
        refunds=refunds,
        settlements=list(settlements),
        rent_cents=totals["rent"],
        fee_cents=totals["fee"],
        deposits_held_cents=totals["deposit"],
        deposits_refunded_cents=(back["refunded"] or 0) + sum(r.deposit_cents for r in refunds),
        deposits_kept_cents=back["kept"],
    )


def deposit_held_q(prefix: str = "") -> Q:
    """Charges whose deposit is still held: paid with a deposit, and not refunded beyond
    the rent (a refund made outside our flow comes out of the rent first)."""
    return Q(**{f"{prefix}deposit_cents__gt": 0}) & (
        Q(**{f"{prefix}status": Charge.Status.PAID})
        | Q(
            **{
                f"{prefix}status": Charge.Status.REFUNDED,
                f"{prefix}refunded_cents__lte": F(f"{prefix}rent_cents"),
            }
        )
    )


def deposit_paid_charge_for(*, booking: Booking) -> Charge | None:
    """The paid charge that carried ``booking``'s deposit, if that deposit is still held."""
    return Charge.objects.filter(deposit_held_q(), booking=booking).order_by("pk").first()


ACCOUNT_CLOSE_GUEST_UNPAID = (
    "A payment for your booking #{pk} at {title} is still open: it must be paid (or "
    "released) before you close your account."
)
ACCOUNT_CLOSE_GUEST_DEPOSIT = (
    "The deposit of your booking #{pk} at {title} has not come back yet: you can close your "
    "account once it has."
)
ACCOUNT_CLOSE_HOST_UNPAID = (
    "Rent for booking #{pk} on your space {title} is still being collected: you can close "
    "your account once it is paid."
)
ACCOUNT_CLOSE_HOST_DEPOSIT = (
    "The deposit of booking #{pk} on your space {title} is not settled yet: settle it from "
    "the booking first."
)


def account_close_blockers(sender, *, user: User, **kwargs) -> list[str]:
    """Receiver of ``accounts.signals.account_closing``: money not yet settled on ``user``'s
    bookings, as guest or host — a charge pending or due, a deposit held and not yet paid
    back. One query."""
    charges = Charge.objects.filter(booking=OuterRef("pk"))
    bookings = (
        Booking.objects.filter(Q(guest_id=user.pk) | Q(listing__host_id=user.pk))
        .annotate(
            unpaid=Exists(charges.unpaid()),
            deposit_held=Exists(charges.filter(deposit_held_q())),
            deposit_back=Exists(
                DepositSettlement.objects.filter(
                    booking=OuterRef("pk"), status=DepositSettlement.Status.REFUNDED
                )
            ),
        )
        .filter(Q(unpaid=True) | Q(deposit_held=True, deposit_back=False))
        .select_related("listing")
        .order_by("start", "pk")
    )
    reasons = []
    for booking in bookings:
        as_guest = booking.guest_id == user.pk
        if booking.unpaid:
            message = ACCOUNT_CLOSE_GUEST_UNPAID if as_guest else ACCOUNT_CLOSE_HOST_UNPAID
        else:
            message = ACCOUNT_CLOSE_GUEST_DEPOSIT if as_guest else ACCOUNT_CLOSE_HOST_DEPOSIT
        reasons.append(message.format(pk=booking.pk, title=booking.listing.title))
    return reasons
