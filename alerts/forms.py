from django import forms

from .models import NAME_MAX_LENGTH, QUERY_MAX_LENGTH, SavedSearch


class SavedSearchForm(forms.Form):
    """Name and how often to email: saving a search and editing one."""

    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)
    frequency = forms.ChoiceField(
        label="Email me new spaces",
        choices=SavedSearch.Frequency.choices,
        initial=SavedSearch.Frequency.DAILY,
        widget=forms.RadioSelect,
    )


class SavedSearchCreateForm(SavedSearchForm):
    # The search's filters as the search page wrote them; the service validates them again.
    query = forms.CharField(
        required=False, max_length=QUERY_MAX_LENGTH * 2, widget=forms.HiddenInput
    )
