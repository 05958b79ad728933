from django import forms

from bookings.forms import BookingForm


class WaitlistForm(BookingForm):
    """desks, start, months — the keyword arguments of services.waitlist_join; the same
    fields, limits and prefill as the request form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["message"]
        del self.fields["request_key"]


class OfferForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", "Take the desks"), ("decline", "Turn down")])
    message = forms.CharField(
        label="Message to the host (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
