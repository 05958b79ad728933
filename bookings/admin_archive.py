"""Archiving spaces from /host/ (and /admin/): a page that says what archiving does to each
space's bookings, and asks; then bookings.services.listing_withdraw settles them.

Listing admins' "Archive" action leads here (listings does not write bookings)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse

from listings.models import Listing

from . import selectors, services


def _ids(values) -> list[int]:
    ids = []
    for value in values:
        for part in value.split(","):
            if part.strip().isdigit() and len(part.strip()) < 12:
                ids.append(int(part))
    return ids[:100]


def archive_listings_view(model_admin, request):
    """GET ?ids=1,2: what archiving those spaces does, and a button; POST: do it."""
    if not request.user.has_perm("listings.change_listing"):
        raise PermissionDenied
    site = model_admin.admin_site
    spaces = Listing.objects.exclude(status=Listing.Status.ARCHIVED).order_by("title", "pk")
    if not request.user.is_operator:
        spaces = spaces.filter(host=request.user)
    data = request.POST if request.method == "POST" else request.GET
    spaces = list(spaces.filter(pk__in=_ids(data.getlist("ids"))))
    back = reverse(f"{site.name}:listings_listing_changelist")
    if not spaces:
        messages.warning(request, "None of those spaces can be archived.")
        return HttpResponseRedirect(back)
    if request.method == "POST":
        declined = told = 0
        for space in spaces:
            try:
                done = services.listing_withdraw(listing=space, by=request.user)
            except ValidationError as exc:
                messages.error(request, f"{space.title}: {' '.join(exc.messages)}")
                continue
            declined += len(done.declined)
            told += len(done.told)
        messages.success(
            request,
            f"Archived {len(spaces)} space{pluralize(len(spaces))}. Declined {declined} "
            f"waiting request{pluralize(declined)}; told {told} guest{pluralize(told)} with "
            "bookings that their bookings stand.",
        )
        return HttpResponseRedirect(back)
    preview = selectors.withdrawal_preview(listings=spaces)
    context = {
        **site.each_context(request),
        "title": f"Archive {len(spaces)} space{pluralize(len(spaces))}?",
        "opts": Listing._meta,
        "spaces": [(space, preview[space.pk]) for space in spaces],
        "ids": ",".join(str(space.pk) for space in spaces),
        "back": back,
    }
    return TemplateResponse(request, "bookings/admin/archive_listings.html", context)
