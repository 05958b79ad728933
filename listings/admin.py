"""Listings in both admin sites.

/host/ (``host_site``): a host sees, adds, edits and archives only their own listings, with
photos inline. Isolation rests on ``HostListingAdmin.get_queryset``: the changelist, the
change/history/delete views, bulk actions and autocomplete all fetch through it, so another
host's id is simply "doesn't exist". ``host`` is never a form field; it comes from the
request. Photos are only reachable inline, through their (own) listing.

/admin/ (operators): everything, including hosts and deletes.

Both sites' listing forms keep the capacity rule (bookings.services): ``desks`` cannot go below
the desks approved bookings hold on any day from today on. Every ModelAdmin takes
``pivotdesk.admin_params.ForgedParamsMixin``, so forged changelist parameters and action ids get
Django's "invalid lookup" answer or are dropped, never a 500.
"""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin_site import host_site
from bookings.selectors import approved_desks_peak
from pivotdesk.admin_params import ForgedParamsMixin, outside_integer_range

from .maps import map_config
from .models import Amenity, City, Listing, Neighborhood, Photo
from .services import image_validate, photo_make_variants

NEIGHBORHOOD_NOT_IN_CITY = "Pick a neighborhood in {city}."
NEIGHBORHOOD_SLUG_TAKEN = (
    "{neighborhood}, {city} has this slug: searches name neighborhoods by slug alone, so add "
    "the city (e.g. downtown-boulder)."
)
LISTING_DESKS_BELOW_APPROVED = (
    "{approved} desks are already approved on {day:%B %-d, %Y}; "
    "a listing can't have fewer desks than that."
)
LISTING_PIN_HELP = "Leave latitude and longitude empty to pin the space at its neighborhood."
LISTING_PIN_HALF = "Give both latitude and longitude, or leave both empty."
LISTING_PIN_FAR = (
    "That point is far from {neighborhood} (around {latitude}, {longitude}): "
    "check the numbers and their signs."
)
# How far a pin may sit from its neighborhood's centre, in degrees (~28 km north-south,
# ~21 km east-west here): a swapped sign or a typo lands the map in another country.
PIN_MAX_DEGREES = Decimal("0.25")


class PhotoImageField(forms.ImageField):
    """An image upload checked by Pillow and against the size and pixel limits.

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
            "image": forms.ClearableFileInput(
                attrs={"accept": "image/jpeg,image/png,image/webp", "class": "photo-upload"}
            )
        }


class PhotoInline(admin.TabularInline):
    model = Photo
    form = PhotoForm
    fields = ("preview", "image", "caption", "position")
    readonly_fields = ("preview",)
    ordering = ("position", "id")
    extra = 1

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
        """Refuse fewer desks than approved bookings hold on any day from today on.

        Takes the listing's row lock, as bookings.services does before counting, so no
        approval can slip in between this count and the save. Caller must be inside
        transaction.atomic: Django's ModelAdmin.changeform_view runs a POST — this clean,
        save_model, the inlines — in one, so the lock holds until the new capacity is
        committed, and a concurrent booking_approve waits, then counts against it.
        """
        desks = self.cleaned_data.get("desks")
        # A new listing has no bookings; below one desk the model's constraint answers.
        if self.instance.pk is None or desks is None or desks < 1:
            return desks
        listing = Listing.objects.select_for_update().filter(pk=self.instance.pk).first()
        if listing is None:
            return desks  # deleted meanwhile: nothing is booked on it any more
        approved, day = approved_desks_peak(listing=listing, start=timezone.localdate())
        if approved > desks:
            raise ValidationError(LISTING_DESKS_BELOW_APPROVED.format(approved=approved, day=day))
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
    # One save per listing rather than queryset.update(): save signals keep caches fresh.
    archived = 0
    for listing in queryset.exclude(status=Listing.Status.ARCHIVED):
        listing.status = Listing.Status.ARCHIVED
        listing.save(update_fields=["status", "updated_at"])
        archived += 1
    modeladmin.message_user(
        request, f"Archived {archived} listing{'s' if archived != 1 else ''}.", messages.SUCCESS
    )


class ListingAdminBase(ForgedParamsMixin, admin.ModelAdmin):
    """What both sites share: photos inline (variants made on upload), slug, filters."""

    inlines = [PhotoInline]
    prepopulated_fields = {"slug": ("title",)}
    list_filter = ("status", "space_type", "city")
    actions = [archive_listings]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "neighborhood":
            kwargs["queryset"] = Neighborhood.objects.select_related("city")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Photo:
            uploaded = list(formset.new_objects) + [
                photo for photo, fields in formset.changed_objects if "image" in fields
            ]
            for photo in uploaded:
                photo_make_variants(photo=photo)


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
        obj.host = request.user
        super().save_model(request, obj, form, change)

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.is_published else None


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
        super().save_model(request, obj, form, change)
        if "image" in form.changed_data:
            photo_make_variants(photo=obj)
