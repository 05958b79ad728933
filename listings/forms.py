from django import forms

from .filters import MAX_DESKS


class RequestPrefillForm(forms.Form):
    """The search's desks/move-in carried to a listing page, to prefill "Request desks".

    Invalid values are dropped: they only prefill a form that validates again.
    """

    desks = forms.IntegerField(min_value=1, max_value=MAX_DESKS, required=False)
    move_in = forms.DateField(required=False)

    def params(self) -> list[tuple[str, str]]:
        if not self.is_bound:
            return []
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        params = []
        if data.get("desks"):
            params.append(("desks", str(data["desks"])))
        if data.get("move_in"):
            params.append(("move_in", data["move_in"].isoformat()))
        return params
