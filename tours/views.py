import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from listings.models import Listing

from . import selectors, services
from .forms import AfternoonBookForm, AfternoonForm, MoveForm, TourForm, plan_value, slot_value
from .limits import over_rate
from .models import TourHours
from .slots import HORIZON_DAYS

# Every page here is about one person's tours: never in a shared cache.
private = cache_control(private=True, no_cache=True)
DAYS_SHOWN = 14
AFTERNOON_CHOICES = 60


def _listing_or_404(city, slug):
    return get_object_or_404(
        Listing.objects.published().select_related("city", "neighborhood", "host"),
        city__slug=city,
        slug=slug,
    )


def _tour_or_404(request, city, slug, pk):
    """The tour if the user is its guest or its listing's host; 404 for anyone else."""
    return get_object_or_404(
        selectors.tours_for_party(user=request.user),
        pk=pk,
        listing__city__slug=city,
        listing__slug=slug,
    )


def _from_day(request) -> datetime.date:
    """?from=YYYY-MM-DD: the first day of slots shown (today if missing, garbled or out of
    range)."""
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(request.GET.get("from", "")[:10])
    except ValueError:
        return today
    return day if today <= day <= today + datetime.timedelta(days=HORIZON_DAYS) else today


def _days(listing, start, *, exclude_tour_id=None):
    """[(day, [(value, label), …]), …] of free slots from ``start`` for DAYS_SHOWN days."""
    now = timezone.now()
    days = selectors.tour_upcoming_days(
        listing=listing, start=start, now=now, days=DAYS_SHOWN, exclude_tour_id=exclude_tour_id
    )
    return selectors.slot_choices(days)


def _pages(start):
    today = timezone.localdate()
    step = datetime.timedelta(days=DAYS_SHOWN)
    later = start + step
    return {
        "earlier": (start - step).isoformat() if start > today else None,
        "later": later.isoformat()
        if later <= today + datetime.timedelta(days=HORIZON_DAYS)
        else None,
    }


@private
@login_required
def tour_book(request, city, slug):
    listing = _listing_or_404(city, slug)
    if request.method == "POST" and (limited := over_rate(request)):
        return limited
    form = TourForm(request.POST or None, listing=listing)
    if form.is_valid():
        try:
            tour = services.tour_book(guest=request.user, listing=listing, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Tour booked: you and the host each get an invitation.")
            return redirect(tour)
    start = _from_day(request)
    return render(
        request,
        "tours/tour_form.html",
        {
            "listing": listing,
            "form": form,
            "days": _days(listing, start),
            "chosen": request.POST.get("starts_at", ""),
            "has_hours": TourHours.objects.filter(listing=listing).exists(),
            **_pages(start),
        },
        status=400 if form.is_bound else 200,
    )


@private
@login_required
def tour_detail(request, city, slug, pk):
    tour = _tour_or_404(request, city, slug, pk)
    now = timezone.now()
    changeable = tour.is_booked and tour.starts_at > now
    return render(
        request,
        "tours/tour_detail.html",
        {
            "tour": tour,
            "listing": tour.listing,
            "for_host": request.user.pk == tour.listing.host_id,
            "changeable": changeable,
            "over": tour.is_booked and tour.starts_at <= now,
            "request_url": selectors.request_prefill_url(tour=tour),
        },
    )


@private
@login_required
@require_POST
def tour_cancel(request, city, slug, pk):
    tour = _tour_or_404(request, city, slug, pk)
    try:
        services.tour_cancel(tour=tour, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Tour cancelled. Both of you get a cancellation.")
    return redirect(tour)


@private
@login_required
def tour_move(request, city, slug, pk):
    tour = _tour_or_404(request, city, slug, pk)
    if request.method == "POST" and (limited := over_rate(request)):
        return limited
    form = MoveForm(request.POST or None)
    if form.is_valid():
        try:
            services.tour_move(tour=tour, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Tour moved. Both of you get the new time.")
            return redirect(tour)
    start = _from_day(request)
    return render(
        request,
        "tours/tour_move.html",
        {
            "tour": tour,
            "listing": tour.listing,
            "form": form,
            "days": _days(tour.listing, start, exclude_tour_id=tour.pk),
            "current": slot_value(tour.starts_at),
            **_pages(start),
        },
        status=400 if form.is_bound else 200,
    )


@private
@login_required
def tour_afternoon(request, city, slug):
    """The planner: this space and one to three others, one day → plans → book one."""
    listing = _listing_or_404(city, slug)
    choices = selectors.tourable_listings(
        exclude_host=request.user, first=listing, limit=AFTERNOON_CHOICES
    )
    if request.method == "POST" and (limited := over_rate(request)):
        return limited
    if request.method == "POST":
        book = AfternoonBookForm(request.POST)
        if book.is_valid():
            # Only published spaces: a draft's id in a forged plan is a 404 like an id no
            # space has, never an error that names it.
            by_id = Listing.objects.published().in_bulk([pk for pk, _ in book.cleaned_data["plan"]])
            legs = [(by_id.get(pk), at) for pk, at in book.cleaned_data["plan"]]
            if any(x is None for x, _ in legs):
                raise Http404("No such space.")
            try:
                afternoon = services.tour_afternoon_book(
                    guest=request.user,
                    legs=legs,
                    desks=book.cleaned_data["desks"],
                    move_in=book.cleaned_data["move_in"],
                )
            except ValidationError as exc:
                book.add_error(None, exc)
            else:
                messages.success(
                    request,
                    f"{afternoon.tours.count()} tours booked. Each host gets an invitation, "
                    "and so do you.",
                )
                return redirect("tours:mine")
        form = AfternoonForm(request.POST, choices=choices)
        if not form.is_valid():  # a forged step one: the plan's own error says enough
            form = AfternoonForm(choices=choices, initial={"spaces": [listing.pk]})
    else:
        form = AfternoonForm(
            request.GET or None,
            choices=choices,
            initial={"spaces": [listing.pk], "day": timezone.localdate()},
        )
        book = AfternoonBookForm(
            initial={"desks": 1, "move_in": max(timezone.localdate(), listing.available_from)}
        )
    plans = []
    if form.is_valid():
        busy = selectors.guest_busy(guest=request.user, day=form.cleaned_data["day"])
        plans = [
            (plan_value(legs), legs)
            for legs in selectors.afternoon_plans(
                listings=list(form.cleaned_data["spaces"]),
                day=form.cleaned_data["day"],
                busy=busy,
            )
        ]
    return render(
        request,
        "tours/afternoon_form.html",
        {
            "listing": listing,
            "form": form,
            "book": book,
            "plans": plans,
            "planned": form.is_bound and form.is_valid(),
        },
        status=400 if (form.is_bound and not form.is_valid()) or book.errors else 200,
    )


@private
@login_required
def tours_mine(request):
    now = timezone.now()
    tours = list(selectors.tours_of_guest(guest=request.user).order_by("starts_at"))
    upcoming = [t for t in tours if t.is_booked and t.ends_at > now]
    past = [t for t in reversed(tours) if t.is_booked and t.ends_at <= now]
    for tour in past:
        tour.request_url = selectors.request_prefill_url(tour=tour)
    cancelled = [t for t in reversed(tours) if not t.is_booked]
    return render(
        request,
        "tours/tour_list.html",
        {"upcoming": upcoming, "past": past, "cancelled": cancelled[:20]},
    )
