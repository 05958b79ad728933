from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from listings.models import Listing

from . import selectors, services
from .forms import OfferForm, WaitlistForm
from .models import WaitlistEntry

# Every page here is one person's: never in a shared cache.
private = cache_control(private=True, no_cache=True)

TOKEN_MAX_LENGTH = 64


@private
@login_required
@require_http_methods(["GET", "POST"])
def waitlist_join(request, city, slug):
    """GET: the form (prefilled from ?desks=&move_in=); POST: join the line."""
    listing = get_object_or_404(
        Listing.objects.published().select_related("city", "neighborhood"),
        city__slug=city,
        slug=slug,
    )
    form = WaitlistForm(request.POST or None, listing=listing, prefill=request.GET)
    if form.is_valid():
        try:
            entry = services.waitlist_join(guest=request.user, listing=listing, **form.cleaned_data)
        except ValidationError as exc:
            if exc.code == "duplicate":
                messages.info(request, " ".join(exc.messages))
                return redirect("waitlist:mine")
            form.add_error(None, exc)
            free = exc.code == "free"
        else:
            place = selectors.waitlist_place(entry=entry)
            messages.success(
                request,
                f"You are number {place} in line. When the desks free up they are held "
                "for you and we email you.",
            )
            return redirect(entry)
    else:
        free = False
    return render(
        request,
        "waitlist/waitlist_form.html",
        {"form": form, "listing": listing, "free": free},
        status=400 if form.is_bound else 200,
    )


@private
@login_required
def waitlist_mine(request):
    entries = list(selectors.waitlist_for_guest(user=request.user))
    return render(
        request,
        "waitlist/waitlistentry_list.html",
        {
            "open": [e for e in entries if e.is_open],
            "closed": [e for e in entries if not e.is_open],
        },
    )


@private
@login_required
@require_POST
def waitlist_leave(request, pk):
    entry = get_object_or_404(WaitlistEntry, pk=pk, guest=request.user)
    try:
        services.waitlist_leave(entry=entry, guest=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"You left the waitlist of {entry.listing.title}.")
    return redirect("waitlist:mine")


def _offer_page(request, entry, *, form=None, status=200):
    return render(
        request,
        "waitlist/offer_detail.html",
        {"entry": entry, "listing": entry.listing, "hold": entry.hold, "form": form or OfferForm()},
        status=status,
    )


@private
@login_required
@require_http_methods(["GET", "POST"])
def offer_detail(request, city, slug, token):
    """The offer email's one link. GET shows the offer with its two buttons (a mail
    scanner's GET changes nothing); POST takes it up or turns it down. A link never made,
    or someone else's, is a 404; one used, declined or lapsed answers 410 with what became
    of it; either way nothing changes."""
    if len(token) > TOKEN_MAX_LENGTH:
        raise Http404("No such offer.")
    entry = selectors.offer_for_link(city=city, slug=slug, token=token)
    if entry is None or entry.guest_id != request.user.pk:
        raise Http404("No such offer.")
    if request.method == "GET":
        try:
            services.offer_for_guest(entry=entry, guest=request.user)
        except ValidationError:
            return _offer_page(request, entry, status=410)
        return _offer_page(request, entry)
    form = OfferForm(request.POST)
    if not form.is_valid():
        return _offer_page(request, entry, form=form, status=400)
    try:
        if form.cleaned_data["action"] == "accept":
            booking = services.offer_accept(
                entry=entry, guest=request.user, message=form.cleaned_data["message"]
            )
        else:
            services.offer_decline(entry=entry, guest=request.user)
    except ValidationError as exc:
        entry.refresh_from_db()
        gone = exc.code == "gone" or entry.status != WaitlistEntry.Status.OFFERED
        form.add_error(None, exc)
        return _offer_page(request, entry, form=form, status=410 if gone else 409)
    if form.cleaned_data["action"] == "decline":
        messages.success(request, "Turned down: the desks go to the next guest in line.")
        return redirect("waitlist:mine")
    if booking.is_approved:
        messages.success(request, "Booked! The host has instant booking on.")
    else:
        messages.success(request, "Request sent to the host, from your offer.")
    return redirect(booking)
