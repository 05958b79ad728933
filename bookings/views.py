import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listings.models import Listing
from listings.selectors import listing_cost

from . import changes, reviews, rules, selectors, services
from .forms import (
    BookingForm,
    ChangeForm,
    DeclineForm,
    MessageForm,
    ReviewForm,
    TeamMoveForm,
)

# Every page here is about one person's bookings: never in a shared cache.
private = cache_control(private=True, no_cache=True)


def _booking_or_404(request, pk):
    """The booking if the user is its guest or its listing's host; 404 for anyone else."""
    return get_object_or_404(selectors.booking_for_viewer(user=request.user, pk=pk))


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@private
@login_required
def booking_create(request, city, slug):
    listing = get_object_or_404(
        Listing.objects.published().select_related("city", "neighborhood"),
        city__slug=city,
        slug=slug,
    )
    form = BookingForm(
        request.POST or None, listing=listing, prefill=request.GET, user=request.user
    )
    not_free = False  # the answer offers the waitlist instead
    if form.is_valid():
        try:
            booking = services.booking_request(
                guest=request.user, listing=listing, **form.cleaned_data
            )
        except ValidationError as exc:
            if exc.code == "duplicate":
                messages.info(request, f"{exc.message} Here it is.")
                return redirect("bookings:detail", pk=exc.params["booking_id"])
            not_free = exc.code == "not_free"
            form.add_error(None, exc)
        else:
            if booking.is_approved:
                messages.success(request, "Booked! The host has instant booking on.")
            else:
                deadline = timezone.localtime(booking.answer_by)
                messages.success(
                    request,
                    f"Request sent. The host answers by {deadline:%B} {deadline.day}, "
                    f"{deadline:%-I:%M %p}; if not, the request expires.",
                )
            return redirect(booking)
    return render(
        request,
        "bookings/booking_form.html",
        {
            "form": form,
            "listing": listing,
            "quote": form.quote(),
            "cost": listing_cost(
                listing=listing, desks=(form.quote() or {}).get("desks", form.initial["desks"])
            ),
            "price_cents": int(listing.price_per_desk * 100),
            "max_months": services.MAX_TERM_MONTHS,
            "not_free": not_free,
        },
    )


@private
@login_required
@require_GET
def booking_cost(request, city, slug):
    """The booking form's "what you pay" block for ``?desks=N``: booking.js swaps it in as the
    desks change, so the all-in amounts come from the one rule (listings.pricing)."""
    listing = get_object_or_404(
        Listing.objects.published().select_related("city"), city__slug=city, slug=slug
    )
    raw = request.GET.get("desks", "")
    desks = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else 0
    if not 1 <= desks <= listing.desks:
        return HttpResponseBadRequest(f"desks: a whole number from 1 to {listing.desks}")
    cost = listing_cost(listing=listing, desks=desks)
    return render(
        request, "bookings/includes/booking_cost.html", {"cost": cost, "listing": listing}
    )


@private
@login_required
def booking_list(request):
    bookings = list(selectors.bookings_for_user(user=request.user))
    as_host = [b for b in bookings if b.listing.host_id == request.user.pk]
    as_guest = [b for b in bookings if b.team_id is None and b.guest_id == request.user.pk]
    as_team = [b for b in bookings if b.team_id is not None and b not in as_host]
    return render(
        request,
        "bookings/booking_list.html",
        {"as_guest": as_guest, "as_host": as_host, "as_team": as_team},
    )


def _detail(request, booking, message_form=None, change_form=None, move_form=None, status=200):
    actions = selectors.booking_actions(booking=booking, user=request.user)
    if move_form is None and "team" in actions:
        move_form = TeamMoveForm(user=request.user)
        if not move_form.fields["team"].queryset.exists():
            move_form = None  # no open team to move it into: nothing to offer
    return render(
        request,
        "bookings/booking_detail.html",
        {
            "booking": booking,
            "actions": actions,
            "is_host": booking.listing.host_id == request.user.pk,
            "message_form": message_form or MessageForm(),
            "decline_form": DeclineForm(),
            "change_form": change_form or ChangeForm(initial={"desks": booking.desks}),
            "move_form": move_form,
            "change_from": rules.next_month_start(booking=booking, today=timezone.localdate())
            if "change" in actions
            else None,
        },
        status=status,
    )


@private
@login_required
def booking_detail(request, pk):
    return _detail(request, _booking_or_404(request, pk))


@private
@login_required
@require_POST
def booking_message(request, pk):
    booking = _booking_or_404(request, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.message_create(
                booking=booking, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(booking)
    return _detail(request, booking, message_form=form)


@private
@login_required
@require_POST
def booking_change(request, pk):
    """Ask the host to grow or shrink the booking from its next booking month."""
    booking = _booking_or_404(request, pk)
    form = ChangeForm(request.POST)
    if form.is_valid():
        try:
            changes.booking_change_request(
                booking=booking, by=request.user, desks=form.cleaned_data["desks"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Change sent to the host. You'll get their answer by email.")
            return redirect(booking)
    return _detail(request, booking, change_form=form, status=400)


@private
@login_required
@require_POST
def booking_move_to_team(request, pk):
    """Its maker makes a personal booking one of their team's (one way: no move back)."""
    booking = _booking_or_404(request, pk)
    form = TeamMoveForm(request.POST, user=request.user)
    if form.is_valid():
        team = form.cleaned_data["team"]
        try:
            services.booking_move_to_team(booking=booking, team=team, by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"This is now a booking of {team.name}: its members see it.")
            return redirect(booking)
    return _detail(request, booking, move_form=form, status=400)


def _act(request, pk, action, success):
    booking = _booking_or_404(request, pk)
    try:
        action(booking)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, success)
    return redirect(booking)


@private
@login_required
@require_POST
def booking_approve(request, pk):
    return _act(
        request,
        pk,
        lambda booking: services.booking_approve(booking=booking, host=request.user),
        "Approved. The guest has been told.",
    )


@private
@login_required
@require_POST
def booking_decline(request, pk):
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return redirect(_booking_or_404(request, pk))
    reason = form.cleaned_data["reason"]
    return _act(
        request,
        pk,
        lambda booking: services.booking_decline(booking=booking, host=request.user, reason=reason),
        "Declined. The guest has been told.",
    )


@private
@login_required
@require_http_methods(["GET", "POST"])
def booking_cancel(request, pk):
    """GET: what withdrawing, cancelling or giving notice will do, and a button to confirm it
    (it cannot be undone). POST: do it."""
    if request.method == "POST":
        return _act(
            request,
            pk,
            lambda booking: services.booking_cancel(booking=booking, by=request.user),
            "Done. You and the host have been emailed.",
        )
    booking = _booking_or_404(request, pk)
    today = timezone.localdate()
    try:
        exit_ = rules.guest_exit(booking=booking, user=request.user, today=today)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(booking)
    context = {"booking": booking, "exit": exit_}
    if exit_ == "notice":
        end = rules.notice_end(booking=booking, today=today)
        day = datetime.timedelta(days=1)
        context.update(end=end, last_day=end - day, booked_last_day=booking.end - day)
    return render(request, "bookings/booking_cancel.html", context)


@private
@login_required
@require_http_methods(["GET", "POST"])
def review_create(request, city, slug, pk):
    """The guest reviews their booking ``pk`` on this space: once, after a month. Anyone
    else's booking, or one on another space, is a 404."""
    booking = get_object_or_404(
        selectors.guest_booking_to_review(user=request.user, pk=pk, city=city, slug=slug)
    )
    try:
        rules.review_check(booking=booking, user=request.user, today=timezone.localdate())
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(booking)
    form = ReviewForm(request.POST or None)
    if form.is_valid():
        try:
            review = reviews.review_create(booking=booking, guest=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Thank you: your review is on the space's page.")
            return redirect(review)
    return render(request, "bookings/review_form.html", {"form": form, "booking": booking})
