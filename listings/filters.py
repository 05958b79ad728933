"""The search page's filters (django-filter).

Every parameter is validated by a form field. A value that does not validate is left out of
``cleaned_data``, so the filter is simply not applied, and ``ListingFilter.notes()`` says so
on the page. Nothing here can raise on user input: numbers are bounded before they reach the
database, choices are checked against what exists, text is length-limited and NUL-free.
"""

import datetime
from decimal import Decimal
from urllib.parse import urlencode

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from bookings.selectors import listings_with_free_desks, move_in_range
from pivotdesk.pagecache import content_version, request_content_version

from .models import Listing
from .pricing import with_all_in
from .selectors import search_choices

PAGE_SIZE = 24
MAX_DESKS = 10_000
MAX_PRICE = 100_000
MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 8

SORT_PRICE = "price"
SORT_PRICE_DESC = "-price"
SORT_NEWEST = "newest"
SORT_ALL_IN = "all_in"
SORT_CHOICES = [
    (SORT_PRICE, "Price: low to high"),
    (SORT_PRICE_DESC, "Price: high to low"),
    (SORT_ALL_IN, "All-in monthly cost: low to high"),
    (SORT_NEWEST, "Newest"),
]
ORDERINGS = {
    SORT_PRICE: ("price_per_desk", "-created_at", "-id"),
    SORT_PRICE_DESC: ("-price_per_desk", "-created_at", "-id"),
    # listings.pricing.with_all_in's annotation, for the desks asked.
    SORT_ALL_IN: ("all_in_cents", "-created_at", "-id"),
    SORT_NEWEST: ("-created_at", "-id"),
}

# The search's minimum guests' rating (Listing.rating_average, kept by bookings.reviews).
MIN_RATING_CHOICES = [("4.5", "4.5 and up"), ("4", "4 and up"), ("3", "3 and up")]

NEIGHBORHOOD_NOT_IN_CITY = "{neighborhood} is not in {city}."
MOVE_IN_OUT_OF_RANGE = "Choose a move-in date from {first:%B %-d, %Y} to {last:%B %-d, %Y}."
IGNORED_NOTE = "{label}: {error} We ignored this filter."


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ListingFilterForm(forms.Form):
    """Checks what single fields cannot: the neighborhood must be in the chosen city."""

    # Set per instance by ListingFilter.form, before validation.
    neighborhood_cities: dict[str, set[str]] = {}
    neighborhood_names: dict[str, str] = {}
    city_names: dict[str, str] = {}

    def clean_move_in(self):
        move_in = self.cleaned_data.get("move_in")
        first, last = move_in_range(today=timezone.localdate())
        if move_in is not None and not first <= move_in <= last:
            raise forms.ValidationError(
                MOVE_IN_OUT_OF_RANGE.format(first=first, last=last), code="out_of_range"
            )
        return move_in

    def clean(self):
        cleaned = super().clean()
        city, hood = cleaned.get("city"), cleaned.get("neighborhood")
        if city and hood and city not in self.neighborhood_cities.get(hood, set()):
            self.add_error(
                "neighborhood",
                NEIGHBORHOOD_NOT_IN_CITY.format(
                    neighborhood=self.neighborhood_names.get(hood, hood),
                    city=self.city_names.get(city, city),
                ),
            )
        return cleaned


# {content version: ListingFilter's form class}: this process's copy for the latest version
# only (its choices come from search_choices), shared read-only by the worker's threads.
_form_classes: dict[int, type[forms.Form]] = {}

# {content version: {(field, values shown): markup}}: the search form's selects and
# checkboxes as this process last wrote them, for the latest version only. A select looks
# the same on every search that made the same choice, whatever the other filters: most
# searches write none. The keys are bounded by the choices (only valid values are shown
# again); the cap is a second fence.
_widget_markup: dict[int, dict[tuple[str, tuple[str, ...]], SafeString]] = {}
WIDGET_MARKUP_KEPT = 2048
WIDGET_TEMPLATES = {
    forms.CheckboxSelectMultiple: "listings/includes/filter_checkboxes.html",
    forms.Select: "listings/includes/filter_select.html",
}


class ListingFilter(django_filters.FilterSet):
    """Filters for /spaces/. Bind with ``request.GET``; read ``.qs`` for the results.

    Choices (cities, neighborhoods, amenities) come from ``search_choices``: the process's
    copy for the current content version (the request's, or the latest without one), three
    queries only when the version is new or the cache unreachable.
    """

    # Choice errors never repeat the value: it may be 5,000 characters or hold a NUL byte.
    city = django_filters.ChoiceFilter(
        field_name="city__slug",
        label="City",
        empty_label="Any city",
        widget=forms.Select(attrs={"data-city-select": ""}),
        error_messages={"invalid_choice": "We have no city by that name."},
    )
    neighborhood = django_filters.ChoiceFilter(
        field_name="neighborhood__slug",
        label="Neighborhood",
        empty_label="Any neighborhood",
        widget=forms.Select(attrs={"data-neighborhood-select": ""}),
        error_messages={"invalid_choice": "We have no neighborhood by that name."},
    )
    type = django_filters.ChoiceFilter(
        field_name="space_type",
        label="Type of space",
        choices=Listing.SpaceType.choices,
        empty_label="Any type",
        error_messages={"invalid_choice": "Choose a hot desk, a dedicated desk or an office."},
    )
    desks = IntegerFilter(
        method="filter_passthrough", label="Desks needed", min_value=1, max_value=MAX_DESKS
    )
    move_in = django_filters.DateFilter(method="filter_passthrough", label="Move-in date")
    min_price = django_filters.NumberFilter(
        field_name="price_per_desk",
        lookup_expr="gte",
        label="Min price per desk",
        min_value=0,
        max_value=MAX_PRICE,
        max_digits=8,
        decimal_places=2,
    )
    max_price = django_filters.NumberFilter(
        field_name="price_per_desk",
        lookup_expr="lte",
        label="Max price per desk",
        min_value=0,
        max_value=MAX_PRICE,
        max_digits=8,
        decimal_places=2,
    )
    amenities = django_filters.MultipleChoiceFilter(
        method="filter_amenities",
        label="Amenities",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "We don't know one of those amenities."},
    )
    q = django_filters.CharFilter(
        method="filter_passthrough", label="Keywords", max_length=MAX_QUERY_LENGTH
    )
    min_rating = django_filters.ChoiceFilter(
        method="filter_min_rating",
        label="Guests' rating",
        choices=MIN_RATING_CHOICES,
        empty_label="Any rating",
        error_messages={"invalid_choice": "Choose a rating of 3, 4 or 4.5 and up."},
    )
    sort = django_filters.ChoiceFilter(
        method="filter_passthrough",
        label="Sort by",
        choices=SORT_CHOICES,
        empty_label=None,
        error_messages={"invalid_choice": "Sort by price, -price, all_in or newest."},
    )

    class Meta:
        model = Listing
        fields: list[str] = []
        form = ListingFilterForm

    def __init__(self, data=None, queryset=None, **kwargs):
        if queryset is None:
            queryset = Listing.objects.published()
        super().__init__(data, queryset=queryset, **kwargs)
        self._valid_params: list[tuple[str, str]] | None = None
        # Without a request (alerts, a saved search's labels) the current version all the
        # same: the choices are then shared by every filter of a run, not read for each one.
        self.version = (
            request_content_version(self.request) if self.request is not None else content_version()
        )
        self.cities, self.neighborhoods, self.amenity_list = search_choices(version=self.version)

        self.filters["city"].extra["choices"] = [(c.slug, c.name) for c in self.cities]
        groups: dict[str, list[tuple[str, str]]] = {}
        for hood in self.neighborhoods:
            groups.setdefault(hood.city.name, []).append((hood.slug, hood.name))
        # Optgroups per city: the choice follows the city without any JavaScript.
        self.filters["neighborhood"].extra["choices"] = list(groups.items())
        self.filters["amenities"].extra["choices"] = [(a.slug, a.name) for a in self.amenity_list]
        self.filters["sort"].extra["choices"] = [("", "Best match / newest"), *SORT_CHOICES]

    def get_form_class(self):  # no "-> type[...]": in this class body "type" is a filter
        """The form class, built once per content version: django-filter makes a new class
        from new fields for every request otherwise. Each form still copies the fields."""
        if self.version is None:
            return super().get_form_class()
        form_class = _form_classes.get(self.version)
        if form_class is None:
            form_class = super().get_form_class()
            _form_classes.clear()
            _form_classes[self.version] = form_class
        return form_class

    @property
    def form(self):
        form = super().form
        if "city_names" not in vars(form):
            cities: dict[str, set[str]] = {}
            for hood in self.neighborhoods:
                cities.setdefault(hood.slug, set()).add(hood.city.slug)
            form.neighborhood_cities = cities
            form.neighborhood_names = {h.slug: h.name for h in self.neighborhoods}
            form.city_names = {c.slug: c.name for c in self.cities}
        return form

    # --- filtering ----------------------------------------------------------------------

    def filter_queryset(self, queryset: QuerySet[Listing]) -> QuerySet[Listing]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        queryset = self.filter_capacity(
            queryset, desks=data.get("desks"), move_in=data.get("move_in")
        )
        queryset = self.filter_text(queryset, data.get("q") or "")
        queryset = with_all_in(queryset, desks=data.get("desks"))
        return self.sort_queryset(queryset, data.get("sort") or "", text=bool(data.get("q")))

    def filter_passthrough(self, queryset, name, value):
        """Applied together in filter_queryset (capacity, text, sort), not one by one."""
        return queryset

    def filter_capacity(
        self, queryset: QuerySet[Listing], *, desks: int | None, move_in: datetime.date | None
    ) -> QuerySet[Listing]:
        """Listings with at least ``desks`` desks, available on or before ``move_in``.

        The one place that decides "has room for this team from this date": desks still free
        after approved bookings, over the listing's minimum term from ``move_in``.
        """
        if move_in:
            queryset = queryset.filter(available_from__lte=move_in)
        if desks or move_in:
            queryset = listings_with_free_desks(queryset, desks=desks, move_in=move_in)
        return queryset

    def filter_min_rating(self, queryset, name, value):
        # Listings without reviews have no average: a minimum leaves them out.
        return queryset.filter(rating_average__gte=Decimal(value))

    def filter_amenities(self, queryset, name, value):
        # Every chosen amenity must be there. One EXISTS per distinct slug: no duplicate
        # rows, and repeating a slug a thousand times costs nothing.
        for slug in sorted(set(value)):
            queryset = queryset.filter(
                Exists(
                    Listing.amenities.through.objects.filter(
                        listing_id=OuterRef("pk"), amenity__slug=slug
                    )
                )
            )
        return queryset

    def filter_text(self, queryset: QuerySet[Listing], text: str) -> QuerySet[Listing]:
        text = text.strip()
        if not text:
            return queryset
        if connection.vendor == "postgresql":
            # search_vector is kept by triggers (migration 0002) and GIN-indexed.
            query = SearchQuery(text, search_type="websearch", config="english")
            return queryset.filter(search_vector=query).annotate(
                rank=SearchRank(F("search_vector"), query)
            )
        # SQLite (a laptop without Postgres): every word must appear in one of the fields.
        for word in text.split()[:MAX_QUERY_WORDS]:
            amenity_match = Listing.amenities.through.objects.filter(
                listing_id=OuterRef("pk"), amenity__name__icontains=word
            )
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(description__icontains=word)
                | Q(neighborhood__name__icontains=word)
                | Exists(amenity_match)
            )
        return queryset

    def sort_queryset(self, queryset: QuerySet[Listing], sort: str, *, text: bool):
        if sort in ORDERINGS:
            return queryset.order_by(*ORDERINGS[sort])
        if text and connection.vendor == "postgresql":
            return queryset.order_by("-rank", "-created_at", "-id")
        return queryset.order_by(*ORDERINGS[SORT_NEWEST])

    # --- what the page shows ------------------------------------------------------------

    def notes(self) -> list[str]:
        """One sentence per ignored parameter (its first error), in the form's field order."""
        errors = self.form.errors
        return [
            IGNORED_NOTE.format(label=field.label, error=errors[name][0])
            for name, field in self.form.fields.items()
            if errors.get(name)
        ]

    def valid_params(self) -> list[tuple[str, str]]:
        """The valid, non-empty parameters as (name, value) pairs, in a stable order.

        Used for pagination links, "remove this filter" links and the canonical URL, so
        an ignored value is never carried forward. Worked out once per instance (a page
        asks three times; the form is validated once and its cleaned data does not change).
        """
        if self._valid_params is None:
            self._valid_params = self._clean_params()
        return list(self._valid_params)

    def _clean_params(self) -> list[tuple[str, str]]:
        form = self.form  # a property: django-filter's, then ours
        if not form.is_valid() and not hasattr(form, "cleaned_data"):
            return []
        params = []
        for name in form.fields:
            value = form.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            if name == "amenities":
                params.extend((name, slug) for slug in sorted(set(value)))
            elif isinstance(value, datetime.date):
                params.append((name, value.isoformat()))
            elif name in ("min_price", "max_price"):
                params.append((name, _plain_decimal(value)))
            else:
                params.append((name, str(value).strip()))
        return [(k, v) for k, v in params if v]

    def display_form(self):
        """The bound form, re-showing only the values that were used.

        Errors stay (they are computed first); an ignored value — 5,000 characters, a NUL
        byte, ``1e309`` — is not echoed back into the inputs.
        """
        form = self.form
        if not getattr(form, "showing_valid_params", False):
            form.errors  # noqa: B018 - validate against what was sent, before the swap
            form.data = QueryDict(urlencode(self.valid_params()))
            form.showing_valid_params = True
        return form

    def choices(self, name: str) -> list[tuple[str | None, list[dict]]]:
        """The options of the display form's select or checkboxes ``name``, as the widget
        would render them: ``[(group label or None, [{"value", "label", "selected",
        "attrs"}, ...]), ...]``. The page writes the markup itself: one template pass instead
        of one widget template per option (the filter form was a third of a search's Python).
        """
        field = self.display_form()[name]
        widget = field.field.widget
        groups = widget.optgroups(
            field.html_name, widget.format_value(field.value()), {"id": field.auto_id}
        )
        return [(group, options) for group, options, _ in groups]

    def widget_markup(self, name: str) -> SafeString:
        """The display form's select or checkboxes ``name``, written from ``choices`` by its
        template in WIDGET_TEMPLATES, and kept per process and content version by the values
        it shows. A field with errors is written afresh each time (and not kept)."""
        field = self.display_form()[name]
        widget = field.field.widget
        key = (name, tuple(widget.format_value(field.value())))
        kept = None
        if self.version is not None and not field.errors:
            kept = _widget_markup.get(self.version)
            if kept is None:
                _widget_markup.clear()
                kept = _widget_markup.setdefault(self.version, {})
            if key in kept:
                return kept[key]
        template = next(t for kind, t in WIDGET_TEMPLATES.items() if isinstance(widget, kind))
        data_attr = next((attr for attr in widget.attrs if attr.startswith("data-")), "")
        markup = render_to_string(
            template, {"field": field, "groups": self.choices(name), "data_attr": data_attr}
        )
        if kept is not None and len(kept) < WIDGET_MARKUP_KEPT:
            kept[key] = markup
        return markup

    def active_filters(self) -> list[dict]:
        """Each valid filter with a human label and the query string without it."""
        params = self.valid_params()
        labels = {
            "city": {c.slug: c.name for c in self.cities},
            "neighborhood": {h.slug: h.name for h in self.neighborhoods},
            "type": dict(Listing.SpaceType.choices),
            "amenities": {a.slug: a.name for a in self.amenity_list},
            "sort": dict(SORT_CHOICES),
            "min_rating": {value: f"Rated {label}" for value, label in MIN_RATING_CHOICES},
        }
        active = []
        for index, (name, value) in enumerate(params):
            if name == "desks":
                label = f"{value}+ desk{'s' if value != '1' else ''}"
            elif name == "min_price":
                label = f"From ${value}/desk"
            elif name == "max_price":
                label = f"Up to ${value}/desk"
            elif name == "move_in":
                label = f"Move in by {value}"
            elif name == "q":
                label = f"“{value}”"
            elif name == "sort":
                label = f"Sorted: {labels['sort'][value]}"
            else:
                label = labels[name].get(value, value)
            rest = [p for i, p in enumerate(params) if i != index]
            active.append({"name": name, "label": label, "remove_params": rest})
        return active


def _plain_decimal(value) -> str:
    """350 for 350.00, 349.5 for 349.50: what a person would type."""
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
