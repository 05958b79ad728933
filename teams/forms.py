from django import forms

from pivotdesk.emails import validate_single_line


class TeamForm(forms.Form):
    """name, billing_email — the keyword arguments of services.team_create."""

    name = forms.CharField(label="Team name", max_length=100, validators=[validate_single_line])
    billing_email = forms.EmailField(
        label="Billing email",
        help_text="Gets a copy of each receipt and refund email for the team's bookings.",
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="Invite by email")


class MemberForm(forms.Form):
    """A member picked on the team page (remove, hand over): a user id that the service
    checks against the team; garbage is a form error."""

    user = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)


class ReopenForm(forms.Form):
    """No fields: the POST from the team page's button is the request; the form carries the
    service's refusal to the page's error summary."""
