"""An operator ends a booking from /admin/ (a dispute, a space that became unusable): the
booking's page links to a page that says what ending does, asks for the reason (the guest
and the host read it), the first free day and, with payments on, how much rent goes back;
then bookings.services.booking_end_by_operator does it. Not on /host/."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from . import selectors, services
from .models import Booking
from .rules import OperatorEnd, operator_end_check


class EndForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the guest and the host read it)",
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": services.END_REASON_NEEDED},
    )
    end = forms.DateField(
        label="Desks free from",
        help_text="The first day the guest no longer has the desks: today at the earliest.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    refund = forms.DecimalField(
        label="Give back (USD, optional)",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
    )

    def __init__(self, *args, running: bool, refundable: Decimal | None, **kwargs):
        super().__init__(*args, **kwargs)
        if not running:
            # A request is declined, a booking not started cancelled: no day, no amount.
            del self.fields["end"], self.fields["refund"]
        elif refundable is None:
            del self.fields["refund"]  # payments are off
        else:
            self.fields["refund"].help_text = (
                f"Of the rent paid, at most ${refundable:,.2f} (the deposit is settled after "
                "the end, apart; rent paid for a month that begins on or after the end goes "
                "back whole by itself, and is not counted then). It goes back to the guest's "
                "card; leave empty for none."
            )


def how_ended(booking: Booking, user, today) -> OperatorEnd | None:
    """How ``user`` would end ``booking`` on its current end today: the service's own check
    (``rules.operator_end_check``), or None when it may not be ended."""
    try:
        return operator_end_check(booking=booking, user=user, end=booking.end, today=today)
    except ValidationError:
        return None


def can_end(booking: Booking, user, today) -> bool:
    """Whether the booking's page offers "End this booking"."""
    return how_ended(booking, user, today) is not None


def end_booking_view(model_admin, request, pk):
    """GET: what ending booking ``pk`` does, and the form; POST: end it."""
    site = model_admin.admin_site
    booking = get_object_or_404(
        model_admin.get_queryset(request).select_related("listing", "guest"), pk=pk
    )
    today = timezone.localdate()
    running = how_ended(booking, request.user, today) == "end"
    refundable = selectors.booking_refundable_amount(booking=booking) if running else None
    form = EndForm(
        request.POST if request.method == "POST" else None,
        running=running,
        refundable=refundable,
        initial={"end": today},
    )
    if form.is_valid():
        try:
            services.booking_end_by_operator(
                booking=booking,
                by=request.user,
                reason=form.cleaned_data["reason"],
                end=form.cleaned_data.get("end"),
                refund=form.cleaned_data.get("refund") or Decimal(0),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Booking #{booking.pk} ended; the guest and the host have been emailed why.",
            )
            return HttpResponseRedirect(
                reverse(f"{site.name}:bookings_booking_change", args=[booking.pk])
            )
    context = {
        **site.each_context(request),
        "title": f"End booking #{booking.pk}?",
        "opts": Booking._meta,
        "original": booking,
        "form": form,
        "running": running,
        "today": today,
        "back": reverse(f"{site.name}:bookings_booking_change", args=[booking.pk]),
    }
    return TemplateResponse(request, "bookings/admin/booking_end.html", context)
