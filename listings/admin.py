"""Listings in both admin sites.

/host/ (``host_site``): a host sees, adds, edits and archives only their own listings, with
photos inline. Isolation rests on ``HostListingAdmin.get_queryset``: the changelist, the
change/history/delete views, bulk actions and autocomplete all fetch through it, so another
host's id is simply "doesn't exist". ``host`` is never a form field; it comes from the
request. Photos are only reachable inline, through their (own) listing.

/admin/ (operators): everything, including hosts and deletes.

Every write goes through listings.services: the listing (``listing_create``/``listing_update``,
which keep the capacity rule), its photos (``photo_create`` makes the variants), archiving and
deleting. Every ModelAdmin takes
``accounts.admin_params.ForgedParamsMixin``, so forged changelist parameters and action ids get
Django's "invalid lookup" answer or are dropped, never a 500.
"""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from accounts.admin_params import ForgedParamsMixin, outside_integer_range
from accounts.admin_site import host_site

from .maps import map_config
from .models import Amenity, City, Listing, ListingExtra, Neighborhood, Photo
from .services import (
    LISTING_FIELDS,
    image_validate,
    listing_create,
    listing_delete,
    listing_desks_check,
    listing_extra_delete,
    listing_extra_save,
    listing_status_check,
    listing_terms_check,
    listing_update,
    photo_create,
    photo_delete,
    photo_update,
)

NEIGHBORHOOD_NOT_IN_CITY = "Pick a neighborhood in {city}."
NEIGHBORHOOD_SLUG_TAKEN = (
    "{neighborhood}, {city} has this slug: searches name neighborhoods by slug alone, so add "
    "the city (e.g. downtown-boulder)."
)
LISTING_PIN_HELP = "Leave latitude and longitude empty to pin the space at its neighborhood."
LISTING_PIN_HALF = "Give both latitude and longitude, or leave both empty."
LISTING_PIN_FAR = (
    "That point is far from {neighborhood} (around {latitude}, {longitude}): "
    "check the numbers and their signs."
)
# Photos a listing may have (the host admin's inline offers no more).
MAX_PHOTOS = 30
# How far a pin may sit from its neighborhood's centre, in degrees (~28 km north-south,
# ~21 km east-west here): a swapped sign or a typo lands the map in another country.
PIN_MAX_DEGREES = Decimal("0.25")


class PhotoImageField(forms.ImageField):
    """An image upload checked as photo_create will check it (listings.services.image_open):
    format by content and name, size, pixels and decode budget, then every pixel decoded.

    The limits run before Django's own image check, so a decompression bomb gets a clear
    message instead of "not a valid image", and costs no memory.
    """

    def to_python(self, data):
        if data not in self.empty_values and hasattr(data, "size"):
            image_validate(data)
        return super().to_python(data)


class PhotoForm(forms.ModelForm):
    class Meta:
        model = Photo
        fields = ["image", "caption", "position"]
        field_classes = {"image": PhotoImageField}
        widgets = {
            # A tabular inline heads its columns with <th>, not <label>: each input names
            # itself for screen readers (axe: "Form elements must have labels").
            "image": forms.ClearableFileInput(
                attrs={
                    "accept": "image/jpeg,image/png,image/webp",
                    "class": "photo-upload",
                    "aria-label": "Photo file",
                }
            ),
            "caption": forms.TextInput(attrs={"aria-label": "Photo caption"}),
            "position": forms.NumberInput(attrs={"aria-label": "Photo order"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # A stored photo's picture stays; a new picture is a new photo (photo_create).
            self.fields["image"].disabled = True


class PhotoFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # under a "Delete?" column head, not a <label>
            form.fields["DELETE"].widget.attrs["aria-label"] = "Delete this photo"


class PhotoInline(admin.TabularInline):
    model = Photo
    form = PhotoForm
    formset = PhotoFormSet
    fields = ("preview", "image", "caption", "position")
    readonly_fields = ("preview",)
    ordering = ("position", "id")
    extra = 1
    max_num = MAX_PHOTOS

    def get_formset(self, request, obj=None, **kwargs):
        # Django builds up to max_num + 1,000 forms for a forged TOTAL_FORMS before it says
        # "too many": ~20 s of CPU for one POST. Build no more than a listing may have.
        kwargs.setdefault("absolute_max", MAX_PHOTOS)
        return super().get_formset(request, obj, **kwargs)

    class Media:
        js = ("accounts/photo-preview.js",)

    @admin.display(description="Preview")
    def preview(self, photo):
        if not (photo.pk and photo.image):
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="160" class="photo-preview">',
            # The host's own upload, in their admin: the original when no variant was made.
            photo.card_url or photo.image.url,
            photo.alt_text,
        )


class ExtraForm(forms.ModelForm):
    class Meta:
        model = ListingExtra
        fields = ["kind", "required", "price_cents"]
        labels = {"price_cents": "Price a month (cents)"}
        widgets = {
            "kind": forms.Select(attrs={"aria-label": "Extra"}),
            "required": forms.CheckboxInput(attrs={"aria-label": "Required for every guest"}),
            "price_cents": forms.NumberInput(
                attrs={"aria-label": "Price a month in cents", "min": 1, "max": 500_000}
            ),
        }


class ExtraFormSet(forms.BaseInlineFormSet):
    """A listing form posted without the extras section (a page opened before extras
    existed, a script that edits listings) leaves the extras as they are."""

    def __init__(self, data=None, *args, prefix=None, **kwargs):
        total = f"{prefix or self.get_default_prefix()}-TOTAL_FORMS"
        if data is not None and total not in data:
            data = data.copy()
            data[total] = "0"
            data[total.replace("TOTAL", "INITIAL")] = "0"
        super().__init__(data, *args, prefix=prefix, **kwargs)


class ExtraInline(admin.TabularInline):
    """Monthly extras (parking, mailbox...): saved by listing_extra_save/_delete, which keep
    the listing's all-in cost."""

    model = ListingExtra
    form = ExtraForm
    formset = ExtraFormSet
    extra = 1
    max_num = len(ListingExtra.Kind)
    verbose_name = "monthly extra"

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("absolute_max", len(ListingExtra.Kind))  # see PhotoInline
        return super().get_formset(request, obj, **kwargs)


def extras_save(formset, *, listing):
    """Save an extras formset through the services (see ``photos_save``)."""
    formset.save(commit=False)
    for extra in formset.deleted_objects:
        listing_extra_delete(extra=extra)
    for extra, _fields in formset.changed_objects:
        listing_extra_save(
            listing=listing,
            kind=extra.kind,
            required=extra.required,
            price_cents=extra.price_cents,
            extra=extra,
        )
    formset.new_objects = [
        listing_extra_save(
            listing=listing, kind=extra.kind, required=extra.required, price_cents=extra.price_cents
        )
        for extra in formset.new_objects
    ]


LISTING_FIELDSETS = (
    ("The space", {"fields": ("title", "slug", "status", "space_type", "description")}),
    ("Where", {"fields": ("city", "neighborhood", "address", "latitude", "longitude")}),
    (
        "Terms",
        {
            "fields": (
                "desks",
                "price_per_desk",
                "min_term_months",
                "deposit_months",
                "available_from",
                "instant_book",
            )
        },
    ),
    ("Amenities", {"fields": ("amenities",)}),
)


class ChoicesInRange(forms.ModelMultipleChoiceField):
    """Django's field, plus: an id past the database's integer range is an invalid choice
    like any unknown id. Django asks the database with ``id IN (…)``, which SQLite refuses
    with an OverflowError (a 500) for such a number; Postgres just finds nothing."""

    def _check_values(self, value):
        pk = self.queryset.model._meta.pk
        for item in value:
            try:
                number = int(item)
            except (TypeError, ValueError):
                continue  # Django's own check says what is wrong with it
            if outside_integer_range(pk, self.queryset.db, number):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(item)[:20]},
                )
        return super()._check_values(value)


class PinPickerInput(forms.NumberInput):
    """The longitude input, then a map to click or drag the pin on (listings/pin-picker.js
    fills both coordinates). ``centres``: {neighborhood id: [lat, lng]}, where the map opens
    while the coordinates are empty. Without JavaScript the map stays hidden."""

    centres: dict[str, list[float]] = {}

    def render(self, name, value, attrs=None, renderer=None):
        config = map_config()
        return super().render(name, value, attrs, renderer) + format_html(
            '<p class="help pin-picker-hint" hidden data-pin-picker-hint>'
            "Or click the map (drag the pin to adjust).</p>"
            '<div class="pin-picker" role="region" aria-label="Map to place the space" hidden'
            ' data-pin-picker data-tile-url="{}" data-attribution="{}" data-icon-url="{}"'
            ' data-icon-2x-url="{}" data-shadow-url="{}" data-centres="{}"></div>',
            config["tile_url"],
            config["attribution"],
            config["icon_url"],
            config["icon_2x_url"],
            config["shadow_url"],
            json.dumps(self.centres),
        )


class ListingForm(forms.ModelForm):
    class Meta:
        model = Listing
        # No "host": it comes from the request (host admin) or the operator's own field.
        fields = [name for _, options in LISTING_FIELDSETS for name in options["fields"]]
        widgets = {"amenities": forms.CheckboxSelectMultiple, "longitude": PinPickerInput}
        field_classes = {"amenities": ChoicesInRange}

    class Media:
        css = {"all": ("vendor/leaflet/leaflet.css", "listings/pin-picker.css")}
        js = ("vendor/leaflet/leaflet.js", "listings/pin-picker.js")

    def clean_desks(self):
        """The capacity rule's message on the field, before anything is saved: the rule is
        listing_update's, asked here too because a refusal in save_model could no longer
        show the form. ModelAdmin.changeform_view runs the POST in one transaction, so the
        row lock taken here holds until listing_update saves."""
        desks = self.cleaned_data.get("desks")
        if self.instance.pk is not None and desks is not None:
            try:
                listing_desks_check(listing=self.instance, desks=desks)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return desks

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Hosts rarely know their coordinates: empty pins the space at its neighborhood.
        for name in ("latitude", "longitude"):
            self.fields[name].required = False
        self.fields["longitude"].help_text = LISTING_PIN_HELP
        self.fields["longitude"].widget.centres = {
            str(pk): [float(lat), float(lng)]
            for pk, lat, lng in Neighborhood.objects.values_list("pk", "latitude", "longitude")
        }

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            # listing_update's rule, asked here for messages on the fields (see clean_desks).
            terms = {k: cleaned.get(k) for k in ("available_from", "min_term_months")}
            for check, kwargs in (
                (listing_terms_check, terms),
                (listing_status_check, {"status": cleaned.get("status")}),
            ):
                try:
                    check(listing=self.instance, **kwargs)
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        self.add_error(field, errors)
        city, neighborhood = cleaned.get("city"), cleaned.get("neighborhood")
        if city and neighborhood and neighborhood.city_id != city.pk:
            self.add_error("neighborhood", NEIGHBORHOOD_NOT_IN_CITY.format(city=city))
            return cleaned
        if neighborhood is not None and not {"latitude", "longitude"} & set(self.errors):
            self._clean_pin(cleaned, neighborhood)
        return cleaned

    def _clean_pin(self, cleaned, neighborhood):
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if latitude is None and longitude is None:
            cleaned["latitude"] = neighborhood.latitude
            cleaned["longitude"] = neighborhood.longitude
        elif latitude is None or longitude is None:
            self.add_error("latitude" if latitude is None else "longitude", LISTING_PIN_HALF)
        elif (
            abs(latitude - neighborhood.latitude) > PIN_MAX_DEGREES
            or abs(longitude - neighborhood.longitude) > PIN_MAX_DEGREES
        ):
            self.add_error(
                "latitude",
                LISTING_PIN_FAR.format(
                    neighborhood=neighborhood.name,
                    latitude=neighborhood.latitude.quantize(Decimal("0.01")),
                    longitude=neighborhood.longitude.quantize(Decimal("0.01")),
                ),
            )


@admin.action(description="Archive the selected listings (hide them from search)")
def archive_listings(modeladmin, request, queryset):
    """To a page that says what archiving does to the spaces' bookings, and asks (it is the
    bookings app's: archiving declines requests and tells guests)."""
    ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
    url = reverse(f"{modeladmin.admin_site.name}:bookings_booking_archive_listings")
    return HttpResponseRedirect(f"{url}?{urlencode({'ids': ids})}")


class ListingAdminBase(ForgedParamsMixin, admin.ModelAdmin):
    """What both sites share: photos inline (variants made on upload), slug, filters."""

    inlines = [PhotoInline, ExtraInline]
    prepopulated_fields = {"slug": ("title",)}
    list_filter = ("status", "space_type", "city")
    actions = [archive_listings]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "neighborhood":
            kwargs["queryset"] = Neighborhood.objects.select_related("city")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = {
            name: value
            for name, value in form.cleaned_data.items()
            if name in LISTING_FIELDS or name == "amenities"
        }
        if change:
            saved = listing_update(listing=obj, data=data)
        else:
            saved = listing_create(**{"host": obj.host, **data})
        # The admin goes on with ``obj`` (inlines, log entry, redirect): make it the saved row.
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The amenities were saved with the listing (save_model), so no form.save_m2m().
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is ListingExtra:
            return extras_save(formset, listing=form.instance)
        if formset.model is not Photo:
            return super().save_formset(request, form, formset, change)
        photos_save(formset, listing=form.instance)

    def delete_model(self, request, obj):
        listing_delete(listing=obj)

    def delete_queryset(self, request, queryset):
        for listing in queryset:
            listing_delete(listing=listing)


def photos_save(formset, *, listing):
    """Save a photo formset through the services: new pictures by photo_create (which makes
    the variants), caption and order by photo_update, removals by photo_delete. Leaves the
    formset's new/changed/deleted_objects set as ``formset.save()`` would, for the admin's
    change message."""
    formset.save(commit=False)
    for photo in formset.deleted_objects:
        photo_delete(photo=photo)
    for photo, _fields in formset.changed_objects:
        photo_update(photo=photo, caption=photo.caption, position=photo.position)
    created = []
    for photo_form in formset.extra_forms:
        if photo_form.has_changed() and photo_form not in formset.deleted_forms:
            data = photo_form.cleaned_data
            created.append(
                photo_create(
                    listing=listing,
                    image=data["image"],
                    caption=data.get("caption") or "",
                    position=data.get("position") or 0,
                )
            )
    formset.new_objects = created


class HostListingAdmin(ListingAdminBase):
    """A host's own listings. Deleting is off: archiving keeps booking history intact."""

    form = ListingForm
    fieldsets = LISTING_FIELDSETS
    list_display = ("title", "city", "neighborhood", "status", "desks", "price_per_desk")
    list_select_related = ("city", "neighborhood__city")
    search_fields = ("title", "address")
    save_on_top = True

    def get_queryset(self, request):
        return super().get_queryset(request).filter(host=request.user)

    def _owns(self, request, obj):
        return obj is None or obj.host_id == request.user.pk

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._owns(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._owns(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def delete_view(self, request, object_id, extra_context=None):
        # Another host's id must look like a missing one, not like a forbidden one.
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().delete_view(request, object_id, extra_context)

    def save_model(self, request, obj, form, change):
        if change and obj.host_id != request.user.pk:
            raise PermissionDenied
        obj.host = request.user  # listing_create's host; never a form field here
        super().save_model(request, obj, form, change)

    def view_on_site(self, obj):
        # A draft or archived space too: its host sees a preview there.
        return obj.get_absolute_url()


host_site.register(Listing, HostListingAdmin)


# --- /admin/: operators see and change everything ------------------------------------


@admin.register(City)
class CityAdmin(ForgedParamsMixin, admin.ModelAdmin):
    list_display = ("name", "state", "slug")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


class NeighborhoodForm(forms.ModelForm):
    """The database keeps slugs unique per city; this keeps them unique across cities too:
    /spaces/?neighborhood=<slug> without a city would otherwise match both."""

    class Meta:
        model = Neighborhood
        fields = ["city", "name", "slug", "latitude", "longitude"]

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        taken = Neighborhood.objects.filter(slug=slug).exclude(pk=self.instance.pk)
        other = taken.select_related("city").first()
        if other is not None:
            raise ValidationError(
                NEIGHBORHOOD_SLUG_TAKEN.format(neighborhood=other.name, city=other.city.name)
            )
        return slug


@admin.register(Neighborhood)
class NeighborhoodAdmin(ForgedParamsMixin, admin.ModelAdmin):
    form = NeighborhoodForm
    list_display = ("name", "city", "slug")
    list_filter = ("city",)
    list_select_related = ("city",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "city__name")


@admin.register(Amenity)
class AmenityAdmin(ForgedParamsMixin, admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


class OperatorListingForm(ListingForm):
    class Meta(ListingForm.Meta):
        fields = ["host", *ListingForm.Meta.fields]


@admin.register(Listing)
class ListingAdmin(ListingAdminBase):
    form = OperatorListingForm
    fieldsets = (("Host", {"fields": ("host",)}), *LISTING_FIELDSETS)
    autocomplete_fields = ("host",)
    list_display = ("title", "host", "city", "neighborhood", "status", "desks", "price_per_desk")
    list_select_related = ("host", "city", "neighborhood__city")
    search_fields = ("title", "address", "host__email")


@admin.register(Photo)
class PhotoAdmin(ForgedParamsMixin, admin.ModelAdmin):
    form = PhotoForm
    fields = ("listing", "image", "caption", "position")
    raw_id_fields = ("listing",)
    list_display = ("__str__", "listing", "position", "width", "height", "created_at")
    list_select_related = ("listing",)
    search_fields = ("caption", "listing__title")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            photo_update(photo=obj, caption=data["caption"], position=data["position"])
            return
        saved = photo_create(
            listing=data["listing"],
            image=data["image"],
            caption=data.get("caption") or "",
            position=data.get("position") or 0,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        photo_delete(photo=obj)

    def delete_queryset(self, request, queryset):
        for photo in queryset:
            photo_delete(photo=photo)
