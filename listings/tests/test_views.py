import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_home_shows_both_cities_with_counts_and_featured_spaces(client):
    call_command("seed_demo")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for city in response.context["cities"]:
        assert city.published_count >= 20
        assert f"{city.published_count} spaces" in html
    assert "Boulder" in html and "Denver" in html
    assert html.count('class="card"') >= 6
    # Cards ship the resized variant, never the original upload.
    assert "-card-" in html and "office-00.jpg" not in html


def test_home_static_assets_are_local(client):
    html = client.get("/").content.decode()
    assert "https://cdn" not in html and "//unpkg" not in html
    assert "/static/css/pivotdesk.css" in html
