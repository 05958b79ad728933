"""Payments in both admins: operators see every charge, deposit, customer and webhook event
(read-only: money moves through services); a host sees their own charges and the monthly
statement with its CSV export at /host/payments/charge/statement/."""

import csv
import datetime
from urllib.parse import urlencode

from django.contrib import admin
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from accounts.admin_params import ReadOnlyMixin
from accounts.admin_site import host_site
from accounts.models import User

from .models import Charge, ChargeRefund, Customer, DepositSettlement, WebhookEvent
from .rules import cents_to_text
from .selectors import Statement, host_statement


def statement_month(raw: str | None) -> datetime.date:
    """``?month=YYYY-MM`` from 2000 to 2999 (its neighbours' links stay inside ``date``'s
    range); anything else is this month."""
    try:
        month = datetime.date.fromisoformat(f"{raw}-01")
    except (TypeError, ValueError):
        month = None
    if month is None or not 2000 <= month.year <= 2999:
        return timezone.localdate().replace(day=1)
    return month


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def statement_csv(statement: Statement, filename: str) -> HttpResponse:
    """One line per charge paid in the month, one negative line per refund made in it (its
    own date), then the totals (the same as the page's)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        ["date", "invoice", "booking", "space", "period", "rent", "fee", "deposit", "entry"]
    )

    def line(charge: Charge, at, rent: int, fee: int, deposit: int, entry: str):
        writer.writerow(
            [
                timezone.localtime(at).date().isoformat(),
                charge.number,
                charge.booking_id,
                charge.booking.listing.title,
                f"{charge.period_start.isoformat()}/{charge.period_end.isoformat()}",
                _money(rent),
                _money(fee),
                _money(deposit),
                entry,
            ]
        )

    for charge in statement.charges:
        line(
            charge,
            charge.paid_at,
            charge.rent_cents,
            charge.fee_cents,
            charge.deposit_cents,
            "paid",
        )
    for refund in statement.refunds:
        charge = refund.charge
        line(
            charge,
            refund.refunded_at,
            -refund.rent_cents,
            -refund.fee_cents,
            -refund.deposit_cents,
            "refund",
        )
    for label, cents in statement_totals(statement):
        writer.writerow(["total", label.lower(), "", "", "", _money(cents), "", "", ""])
    return response


def statement_totals(statement: Statement) -> list[tuple[str, int]]:
    """The statement's totals, in cents, as the page and the CSV show them."""
    return [
        ("Rent collected", statement.rent_cents),
        ("Platform fee", -statement.fee_cents),
        ("Rent refunded", -statement.rent_refunded_cents),
        ("Platform fee returned", statement.fee_returned_cents),
        ("Deposits held", statement.deposits_held_cents),
        ("Deposits refunded", statement.deposits_refunded_cents),
        ("Deposits kept", statement.deposits_kept_cents),
        ("Net owed", statement.net_cents),
    ]


# What the page calls a total (the CSV says it plainly).
PAGE_LABELS = {
    "Deposits held": "Deposits held (collected this month)",
    "Deposits kept": "Deposits kept by you",
    "Net owed": "Net owed to you",
}


class ChargeAdminBase(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "booking", "period_start", "amount", "status", "paid_at"]
    list_filter = ["status"]
    statement_for_all = True

    @admin.display(description="Amount")
    def amount(self, obj):
        return cents_to_text(obj.amount_cents)

    def get_urls(self):
        return [
            path(
                "statement/",
                self.admin_site.admin_view(self.statement_view),
                name="payments_charge_statement",
            ),
            *super().get_urls(),
        ]

    def statement_view(self, request):
        month = statement_month(request.GET.get("month"))
        host = request.user
        if self.statement_for_all:  # operators: every host's, or one host's with ?host=<id>
            raw = request.GET.get("host", "")
            host = None
            if raw:
                if raw.isdigit() and len(raw) < 12:
                    host = User.objects.filter(pk=int(raw)).first()
                if host is None:
                    raise Http404("No such host.")
        statement = host_statement(host=host, month=month)
        if request.GET.get("format") == "csv":
            return statement_csv(statement, f"pivotdesk-statement-{month:%Y-%m}.csv")
        previous = (month - datetime.timedelta(days=1)).replace(day=1)
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        # An operator's one-host statement stays that host's on every link (the CSV too).
        one_host = {"host": host.pk} if self.statement_for_all and host else {}

        def link(to: datetime.date, **extra) -> str:
            return "?" + urlencode({**one_host, "month": f"{to:%Y-%m}", **extra})

        context = {
            **self.admin_site.each_context(request),
            "title": f"Statement for {month:%B %Y}" + (f": {host}" if host else ""),
            "statement": statement,
            "month": month,
            "previous": link(previous),
            "following": link(following),
            "csv": link(month, format="csv"),
            "rows": [
                (PAGE_LABELS.get(label, label), cents_to_text(cents))
                for label, cents in statement_totals(statement)
            ],
            "charges": [
                (c, cents_to_text(c.rent_cents), cents_to_text(c.fee_cents))
                for c in statement.charges
            ],
            "refunds": [
                (
                    r,
                    cents_to_text(-r.amount_cents),
                    cents_to_text(-r.rent_cents),
                    cents_to_text(-r.fee_cents),
                    cents_to_text(-r.deposit_cents),
                )
                for r in statement.refunds
            ],
        }
        return TemplateResponse(request, "payments/admin/statement.html", context)


class RefundFailedFilter(admin.SimpleListFilter):
    """Charges with a refund Stripe could not make after all: money an operator still owes
    the guest (docs/OPERATIONS.md)."""

    title = "refund failed"
    parameter_name = "refund_failed"

    def lookups(self, request, model_admin):
        return [("yes", "Yes")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(refunds__failed_at__isnull=False).distinct()
        return queryset


class ChargeRefundInline(ReadOnlyMixin, admin.TabularInline):
    model = ChargeRefund
    fields = ["stripe_id", "amount", "refunded_at", "failed_at", "failure_reason"]
    readonly_fields = fields
    extra = 0

    @admin.display(description="Amount")
    def amount(self, obj):
        return cents_to_text(obj.amount_cents)


@admin.register(Charge)
class ChargeAdmin(ChargeAdminBase):
    list_display = [*ChargeAdminBase.list_display, "attempts", "last_error"]
    list_filter = ["status", RefundFailedFilter]
    search_fields = ["booking__guest__email", "payment_intent_id"]
    inlines = [ChargeRefundInline]


class HostChargeAdmin(ChargeAdminBase):
    statement_for_all = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(booking__listing__host=request.user)


host_site.register(Charge, HostChargeAdmin)


@admin.register(ChargeRefund)
class ChargeRefundAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["stripe_id", "charge", "amount", "refunded_at", "failed_at", "failure_reason"]
    list_filter = [("failed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["charge"]
    search_fields = ["stripe_id", "charge__payment_intent_id"]

    @admin.display(description="Amount")
    def amount(self, obj):
        return cents_to_text(obj.amount_cents)


@admin.register(DepositSettlement)
class DepositSettlementAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["booking", "held_cents", "kept_cents", "status", "refunded_at"]
    list_filter = ["status"]


@admin.register(Customer)
class CustomerAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["user", "stripe_id", "card_label", "card_saved_at", "closed_at"]
    search_fields = ["user__email", "stripe_id"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["stripe_id", "type", "created", "received_at", "outcome"]
    search_fields = ["stripe_id"]
