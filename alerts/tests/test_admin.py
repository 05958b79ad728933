"""Saved searches and alerts in the operators' admin: read, never written there (the
services keep their limits and the alert job its record)."""

import pytest

from alerts.models import Alert, SavedSearch

from .factories import SavedSearchFactory

pytestmark = pytest.mark.django_db


def test_operators_read_saved_searches_and_alerts(operator_client):
    saved = SavedSearchFactory(name="Pearl desks")
    alert = Alert.objects.create(saved_search=saved, period="2026-12-01", listing_ids=[1])
    assert "Pearl desks" in operator_client.get("/admin/alerts/savedsearch/").text
    assert operator_client.get(f"/admin/alerts/savedsearch/{saved.pk}/change/").status_code == 200
    assert operator_client.get(f"/admin/alerts/alert/{alert.pk}/change/").status_code == 200


def test_an_empty_alert_add_form_is_refused_not_a_500(operator_client):
    response = operator_client.post("/admin/alerts/alert/add/", {})
    assert response.status_code == 403
    assert not Alert.objects.exists()


def test_operators_cannot_add_change_or_delete_a_saved_search(operator_client):
    saved = SavedSearchFactory(name="Pearl desks", query="city=boulder")
    user = saved.user
    data = {"user": user.pk, "name": "Renamed", "query": "city=denver", "frequency": "off"}
    assert operator_client.post("/admin/alerts/savedsearch/add/", data).status_code == 403
    change = f"/admin/alerts/savedsearch/{saved.pk}/change/"
    operator_client.post(change, data)
    assert operator_client.post(f"/admin/alerts/savedsearch/{saved.pk}/delete/").status_code == 403
    saved.refresh_from_db()
    assert (saved.name, saved.query, saved.frequency) == ("Pearl desks", "city=boulder", "daily")
    assert SavedSearch.objects.count() == 1
