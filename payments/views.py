"""Payments pages: save a card, confirm a payment the guest's bank asks about, the list of
a member's invoices, an invoice, the host's release and deposit forms, and the Stripe
webhook."""

import logging
from urllib.parse import urlencode, urlsplit

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from bookings.models import Booking
from teams.selectors import teams_for_user

from .forms import DepositForm, InvoiceFilterForm
from .rules import cents_to_text
from .selectors import (
    card_on_file,
    charge_of_guest_to_confirm,
    charge_refund_lines,
    charge_visible,
    deposit_paid_charge_for,
    invoice_page,
    invoice_years,
)
from .services import (
    booking_release_unpaid,
    card_setup_finish,
    card_setup_start,
    charge_authentication_finish,
    charge_authentication_start,
    deposit_settle,
    webhook_apply,
)
from .stripe_api import stripe_js_url

logger = logging.getLogger(__name__)
WEBHOOK_MAX_BYTES = 256 * 1024
# A member's invoices: never in a shared cache.
private = cache_control(private=True, no_cache=True)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _card_csp() -> dict:
    """The site's policy plus Stripe.js, its API and its frames (or localstripe's)."""
    js = _origin(stripe_js_url())
    api = (
        _origin(settings.STRIPE_API_BASE) if settings.STRIPE_API_BASE else "https://api.stripe.com"
    )
    extra = {
        "script-src": [js],
        "connect-src": [api],
        "frame-src": [js, "https://hooks.stripe.com"],
    }
    policy = {k: list(v) for k, v in settings.SECURE_CSP.items()}
    for directive, origins in extra.items():
        policy[directive] = [*policy.get(directive, []), *origins]
    return policy


def _booking_of(user, raw) -> Booking | None:
    if not str(raw or "").isdigit() or len(str(raw)) > 12:
        return None
    return Booking.objects.filter(pk=int(raw), guest=user).first()


@login_required
def card(request):
    """Save a card for off-session rent (Stripe Elements and a SetupIntent)."""
    booking = _booking_of(request.user, request.POST.get("booking") or request.GET.get("booking"))
    error = ""
    if request.method == "POST":
        try:
            card_setup_finish(
                user=request.user, setup_intent_id=str(request.POST.get("setup_intent", ""))[:255]
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, "Your card is saved.")
            return redirect(booking or "bookings:list")
    try:
        client_secret = card_setup_start(user=request.user)
    except ValidationError as exc:
        client_secret, error = "", " ".join(exc.messages)
    context = {
        "booking": booking,
        "client_secret": client_secret,
        "card": card_on_file(user=request.user),
        "error": error,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js": stripe_js_url(),
    }
    response = csp_override(_card_csp())(render)(request, "payments/card_form.html", context)
    return response


@login_required
def pay(request, pk):
    """The guest completes a charge's PaymentIntent that their bank must confirm (3-D
    Secure), with Stripe.js on this page; the POST that follows only asks Stripe how it
    stands. Only the booking's guest: anyone else, and any other id, gets a 404."""
    charge = charge_of_guest_to_confirm(user=request.user, pk=pk)
    if charge is None:
        raise Http404("No such payment.")
    if request.method == "POST":
        try:
            charge = charge_authentication_finish(user=request.user, charge=charge)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if charge.status == charge.Status.PAID:
                messages.success(request, "Thank you: your payment went through.")
        return redirect("payments:pay", pk=charge.pk)
    client_secret, payment_method, error = "", "", ""
    try:
        charge, client_secret, payment_method = charge_authentication_start(
            user=request.user, charge=charge
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    context = {
        "charge": charge,
        "amount": cents_to_text(charge.amount_cents),
        "client_secret": client_secret,
        "payment_method": payment_method,
        "error": error,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js": stripe_js_url(),
    }
    return csp_override(_card_csp())(render)(request, "payments/charge_pay.html", context)


@private
@login_required
@require_GET
def invoice_list(request):
    """The invoices the member pays (``charges_paid_by``: their own bookings', their teams'
    while they are members), newest first, 25 a page; ``?team=`` one of their teams,
    ``?year=``. A team they are not in, or garbage: 404; a garbage page number: the first."""
    teams = list(teams_for_user(user=request.user))
    form = InvoiceFilterForm(request.GET, teams=teams, years=invoice_years(user=request.user))
    if not form.is_valid():
        raise Http404("No such team or year.")
    team_id, year = form.cleaned_data["team"], form.cleaned_data["year"]
    page = invoice_page(user=request.user, team_id=team_id, year=year, page=request.GET.get("page"))
    filters = {k: v for k, v in (("team", team_id), ("year", year)) if v is not None}
    context = {
        "form": form,
        "page": page,
        "rows": [
            (charge, cents_to_text(charge.amount_cents), cents_to_text(charge.net_cents))
            for charge in page
        ],
        "team": next((t for t in teams if t.pk == team_id), None),
        "year": year,
        "filtered": bool(filters),
        "page_query": urlencode(filters),
    }
    return render(request, "payments/invoice_list.html", context)


@login_required
def invoice(request, pk):
    """A printable invoice for one charge, for whoever may see its booking (the maker, the
    team's current members, the host) and operators (``charge_visible``); anyone else, and
    any other id, gets a 404. Each refund is a line of its own (date, amount; one Stripe could
    not make reads as failed and is not taken off), then the net paid."""
    charge = charge_visible(user=request.user, pk=pk)
    if charge is None:
        raise Http404("No such invoice.")
    context = {
        "refunds": [
            (refund.refunded_at, cents_to_text(refund.amount_cents), refund.is_failed)
            for refund in charge_refund_lines(charge=charge)
        ],
        "charge": charge,
        "rent": cents_to_text(charge.rent_cents),
        "deposit": cents_to_text(charge.deposit_cents),
        "total": cents_to_text(charge.amount_cents),
        "refunded": cents_to_text(charge.refunded_cents),
        "net": cents_to_text(charge.net_cents),
    }
    return render(request, "payments/invoice_detail.html", context)


@login_required
@require_POST
def release(request, pk):
    booking = get_object_or_404(Booking, pk=pk, listing__host=request.user)
    try:
        booking_release_unpaid(booking=booking, host=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Booking released: the desks are free again.")
    return redirect(booking)


@login_required
def deposit(request, pk):
    """The host settles the deposit after the end: refund it all, or keep part with a reason."""
    booking = get_object_or_404(
        Booking.objects.select_related("listing"), pk=pk, listing__host=request.user
    )
    paid = deposit_paid_charge_for(booking=booking)
    if paid is None:
        raise Http404("This booking has no deposit.")
    form = DepositForm(request.POST or None, held_cents=paid.deposit_cents)
    if form.is_valid():
        try:
            deposit_settle(
                booking=booking,
                host=request.user,
                keep_cents=form.cleaned_data["keep_cents"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Deposit settled: the refund is on its way to the guest.")
            return redirect(booking)
    context = {"form": form, "booking": booking, "held": cents_to_text(paid.deposit_cents)}
    return render(request, "payments/deposit_form.html", context)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events: verified with the endpoint's secret, each applied once. Anything
    unsigned, forged, replayed (outside Stripe's 5-minute tolerance) or malformed: 400."""
    if len(request.body) > WEBHOOK_MAX_BYTES or not settings.STRIPE_WEBHOOK_SECRET:
        return HttpResponseBadRequest("Rejected.")
    try:
        event = stripe.Webhook.construct_event(
            request.body,
            request.headers.get("Stripe-Signature", ""),
            settings.STRIPE_WEBHOOK_SECRET,
        )
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("Rejected.")
    try:
        outcome = webhook_apply(event=event)
    except (AttributeError, KeyError, TypeError, ValueError):
        logger.warning("Malformed Stripe event %s", getattr(event, "id", "?"))
        return HttpResponseBadRequest("Malformed event.")
    except stripe.StripeError as exc:  # nothing stored: Stripe delivers it again
        logger.warning("Stripe event %s not applied, Stripe unreachable: %s", event.id, exc)
        return HttpResponse("Try again.", status=503, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")
