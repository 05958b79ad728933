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
