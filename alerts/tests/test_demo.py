import pytest
from django.core.management import call_command

from alerts.models import SavedSearch
from demo import data

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_the_demo_guest_one_saved_search_once():
    call_command("seed_demo", stdout=None)
    call_command("seed_demo", stdout=None)
    [saved] = SavedSearch.objects.all()
    assert saved.user.email == data.DEMO_GUEST[0]
    assert saved.query == "city=boulder&desks=2"
    assert saved.alerted.exists()  # what it finds today is not news tomorrow
