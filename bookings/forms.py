import datetime
import re
import uuid

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.template.defaultfilters import pluralize
from django.utils import timezone

from listings.models import Listing
from teams.models import Team
from teams.selectors import teams_for_user

from .models import EVENT_NOTE_MAX_LENGTH
from .rules import move_in_range
from .services import (
    BOOKING_DESKS_TOO_FEW,
    BOOKING_TERM_TOO_LONG,
    MAX_TERM_MONTHS,
    term_too_short_message,
)

REQUEST_KEY = re.compile(r"[0-9a-f]{32}")


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date_or_none(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


class BookingForm(forms.Form):
    """desks, start, months, message — the keyword arguments of services.booking_request."""

    desks = forms.IntegerField(min_value=1)
    start = forms.DateField(
        label="Move-in date",
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
    )
    months = forms.IntegerField(
        label="Term (months)",
        max_value=MAX_TERM_MONTHS,
        error_messages={"max_value": BOOKING_TERM_TOO_LONG},
    )
    message = forms.CharField(
        label="Message to the host",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # One key per rendered form: submitting it twice makes one request (services.booking_request).
    request_key = forms.CharField(required=False, widget=forms.HiddenInput)
    # Only for members of a team: which team the desks are for (removed for everyone else).
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="Just me",
        label="Book for",
        help_text="A team booking is seen by every member of the team.",
    )

    def __init__(self, *args, listing: Listing, prefill=None, user=None, **kwargs):
        """``prefill`` is the search's query string (?desks=&move_in=); garbage is ignored.
        ``user``'s open teams are offered in "Book for"; without any the field is left out."""
        initial = kwargs.pop("initial", {})
        initial.setdefault("months", listing.min_term_months)
        if prefill is not None:
            desks = _int_or_none(prefill.get("desks"))
            if desks is not None and 1 <= desks <= listing.desks:
                initial["desks"] = desks
            move_in = _date_or_none(prefill.get("move_in"))
            if move_in is not None:
                initial["start"] = move_in
        initial.setdefault("desks", 1)
        initial.setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, initial=initial, **kwargs)
        self.listing = listing
        teams = teams_for_user(user=user).open() if user is not None else Team.objects.none()
        if user is not None and teams.exists():
            self.fields["team"].queryset = teams
        else:
            del self.fields["team"]
        desks = self.fields["desks"]
        if listing.is_let_whole:
            # A private office is let whole: the desks are not the guest's to choose.
            self.initial["desks"] = listing.desks
            desks.disabled = True
            desks.label = f"Office for up to {listing.desks} (let whole)"
        desks.max_value = listing.desks
        desks.error_messages["min_value"] = BOOKING_DESKS_TOO_FEW
        has = f"This space has {listing.desks} desk{pluralize(listing.desks)}."
        desks.validators.append(MaxValueValidator(listing.desks, message=has))
        self.fields["desks"].widget.attrs.update(min=1, max=listing.desks)
        self.fields["months"].min_value = listing.min_term_months
        self.fields["months"].validators.append(
            MinValueValidator(
                listing.min_term_months, message=term_too_short_message(listing.min_term_months)
            )
        )
        self.fields["months"].widget.attrs.update(min=listing.min_term_months, max=MAX_TERM_MONTHS)
        # The date picker offers only days the service accepts (it still checks them).
        first, last = move_in_range(today=timezone.localdate())
        self.fields["start"].widget.attrs.update(
            min=max(first, listing.available_from).isoformat(), max=last.isoformat()
        )

    def clean_request_key(self):
        """A forged or garbled key is dropped (the duplicate check still holds), not an error."""
        key = self.cleaned_data.get("request_key") or ""
        return key if REQUEST_KEY.fullmatch(key) else ""

    def quote(self):
        """(price per month, total for the term) for the desks and months entered, if sane."""
        source = self.data if self.is_bound else {}
        desks = _int_or_none(source.get("desks", self.initial.get("desks")))
        months = _int_or_none(source.get("months", self.initial.get("months")))
        if not desks or not months or not (0 < desks <= self.listing.desks):
            return None
        if not (0 < months <= MAX_TERM_MONTHS):
            return None
        per_month = self.listing.price_per_desk * desks
        return {
            "desks": desks,
            "months": months,
            "per_month": per_month,
            "total": per_month * months,
        }


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DeclineForm(forms.Form):
    """A host's decline, on the booking page and in /host/: the reason goes whole into the
    thread and the booking's history (``BookingEvent.note``), so it is held to the note's
    length; a longer one is refused and nothing is declined."""

    reason = forms.CharField(
        label="Reason (optional, the guest reads it)",
        required=False,
        max_length=EVENT_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


STAR_CHOICES = [(n, f"{n} star{pluralize(n)}") for n in range(1, 6)]


def _stars(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=STAR_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose from 1 to 5 stars."},
    )


class ReviewForm(forms.Form):
    overall = _stars("Overall")
    space = _stars("The space")
    host = _stars("The host")
    value = _stars("Value for money")
    text = forms.CharField(
        label="Your review",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Up to 2,000 characters. Shown on the space's page with your first name.",
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(label="Your public reply", max_length=2000, widget=forms.Textarea)


class ChangeForm(forms.Form):
    """desks — the keyword argument of changes.booking_change_request."""

    desks = forms.IntegerField(
        label="Desks from the next booking month",
        min_value=1,
        max_value=10_000,
        error_messages={"min_value": BOOKING_DESKS_TOO_FEW},
    )


class TeamMoveForm(forms.Form):
    """team — the keyword argument of services.booking_move_to_team: one of ``user``'s open
    teams (a forged or closed team's id is "Select a valid choice")."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        label="Team",
        empty_label=None,
        help_text="Its members will see this booking, its messages and its invoices.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_for_user(user=user).open()
