from decimal import Decimal

from django import forms

from .rules import cents_to_text, dollars_to_cents


class DepositForm(forms.Form):
    keep = forms.DecimalField(
        label="Keep (USD)",
        min_value=Decimal(0),
        max_digits=9,
        decimal_places=2,
        initial=Decimal(0),
        help_text="0 refunds the whole deposit.",
    )
    reason = forms.CharField(
        label="Reason (the guest reads it)",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, held_cents: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.held_cents = held_cents
        self.fields["keep"].help_text = f"Up to {cents_to_text(held_cents)}; 0 refunds it all."

    def clean(self):
        cleaned = super().clean()
        if "keep" in cleaned:
            cleaned["keep_cents"] = dollars_to_cents(cleaned["keep"])
        return cleaned


class InvoiceFilterForm(forms.Form):
    """The invoice list's filters (GET): one of the member's teams, a year. A team the
    member does not belong to, or garbage, makes the form invalid (the page: 404)."""

    team = forms.TypedChoiceField(label="Team", coerce=int, required=False, empty_value=None)
    # Years PivotDesk can have invoices in: a year's bounds stay far from datetime's limits.
    year = forms.IntegerField(label="Year", min_value=2000, max_value=2999, required=False)

    def __init__(self, *args, teams, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All"), *((t.pk, t.name) for t in teams)]
        self.fields["year"].widget = forms.Select(
            choices=[("", "All"), *((y, str(y)) for y in years)]
        )
