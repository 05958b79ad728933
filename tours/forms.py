"""Forms for tours. Slot choices are what the schedule offers; a forged value (off the
grid, outside the hours, not a number) is a form error, and the services check again."""

import datetime

from django import forms
from django.utils import timezone

from bookings.rules import move_in_range
from listings.models import Listing

from .services import AFTERNOON_COUNT, AFTERNOON_MAX, AFTERNOON_MIN
from .slots import HORIZON_DAYS

SLOT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
NOT_A_TIME = "Pick a time from the list."
PLAN_NOT_OFFERED = "Pick one of the plans offered."
DAY_OUT_OF_RANGE = f"Pick a day from today to {HORIZON_DAYS} days ahead."


def slot_value(moment: datetime.datetime) -> str:
    """A slot as a form value: its instant in UTC, so one value means one moment even on the
    day a wall time repeats."""
    return moment.astimezone(datetime.UTC).strftime(SLOT_FORMAT)


def slot_parse(value: str) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.strptime((value or "")[:40], SLOT_FORMAT)
    except ValueError:
        return None
    return parsed.replace(tzinfo=datetime.UTC)


def slot_label(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%-I:%M %p}"


class SlotField(forms.Field):
    """A slot's UTC instant (``slot_value``); cleans to an aware datetime."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        moment = slot_parse(str(value))
        if moment is None:
            raise forms.ValidationError(NOT_A_TIME, code="invalid")
        return moment


class _WhatYouNeed(forms.Form):
    """What the guest tells the host: how many desks, and from when."""

    desks = forms.IntegerField(label="Desks you need", min_value=1, max_value=10_000)
    move_in = forms.DateField(
        label="From (move-in date)",
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, last = move_in_range(today=timezone.localdate())
        self.fields["move_in"].widget.attrs.update(min=first.isoformat(), max=last.isoformat())
        self.fields["desks"].widget.attrs.update(min=1)


class TourForm(_WhatYouNeed):
    starts_at = SlotField(label="Time")

    def __init__(self, *args, listing: Listing, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("desks", 1)
        kwargs["initial"].setdefault("move_in", max(timezone.localdate(), listing.available_from))
        super().__init__(*args, **kwargs)
        self.fields["desks"].max_value = listing.desks
        self.fields["desks"].widget.attrs.update(max=listing.desks)


class MoveForm(forms.Form):
    starts_at = SlotField(label="New time")


class AfternoonForm(forms.Form):
    """Step one of the planner: which spaces, which day."""

    spaces = forms.ModelMultipleChoiceField(
        queryset=Listing.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=f"Spaces to see ({AFTERNOON_MIN} to {AFTERNOON_MAX})",
    )
    day = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spaces"].queryset = choices
        # A checkbox per space: "Title, Neighborhood" — city and place come from the join.
        self.fields["spaces"].label_from_instance = lambda x: f"{x.title} ({x.city.name})"
        today = timezone.localdate()
        self.fields["day"].widget.attrs.update(
            min=today.isoformat(),
            max=(today + datetime.timedelta(days=HORIZON_DAYS)).isoformat(),
        )

    def clean_spaces(self):
        spaces = self.cleaned_data["spaces"]
        if not AFTERNOON_MIN <= len(spaces) <= AFTERNOON_MAX:
            raise forms.ValidationError(AFTERNOON_COUNT)
        return spaces

    def clean_day(self):
        day = self.cleaned_data["day"]
        today = timezone.localdate()
        if not today <= day <= today + datetime.timedelta(days=HORIZON_DAYS):
            raise forms.ValidationError(DAY_OUT_OF_RANGE)
        return day


def plan_value(legs) -> str:
    """A plan as one form value: ``<listing id>@<UTC instant>`` per leg, comma-separated."""
    return ",".join(f"{leg.listing.pk}@{slot_value(leg.starts_at)}" for leg in legs)


def plan_parse(value: str) -> list[tuple[int, datetime.datetime]] | None:
    """The (listing id, instant) pairs of a plan value, or None if it is malformed."""
    legs = []
    for part in (value or "")[:400].split(",")[: AFTERNOON_MAX + 1]:
        listing_id, _, at = part.partition("@")
        moment = slot_parse(at)
        if not listing_id.isdigit() or len(listing_id) > 18 or moment is None:
            return None
        legs.append((int(listing_id), moment))
    return legs


class AfternoonBookForm(_WhatYouNeed):
    """Step two: one of the plans offered, and what the team needs."""

    plan = forms.CharField(max_length=400, widget=forms.HiddenInput)

    def clean_plan(self):
        legs = plan_parse(self.cleaned_data["plan"])
        if legs is None or not AFTERNOON_MIN <= len(legs) <= AFTERNOON_MAX:
            raise forms.ValidationError(PLAN_NOT_OFFERED)
        return legs
