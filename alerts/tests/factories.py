import factory

from accounts.tests.factories import UserFactory
from alerts.models import SavedSearch


class SavedSearchFactory(factory.django.DjangoModelFactory):
    """A saved search written directly (no baseline of what it already matched): every match
    is news to it. Tests of saving itself call alerts.services.saved_search_create."""

    class Meta:
        model = SavedSearch

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Search {n}")
    query = ""
    frequency = SavedSearch.Frequency.DAILY
