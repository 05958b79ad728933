"""The migrations say what the models say. A rule the database keeps (the one-desk all-in
amounts are generated columns built from ``listings.pricing.all_in_amounts``) changes only
through a migration: without one the columns would keep the old rule while queries for more
desks compute the new one."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail("models changed without a migration; run makemigrations:\n" + out.getvalue())
