import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory

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
    # One stylesheet, Leaflet's and ours bundled (assets/site.css).
    assert html.count('rel="stylesheet"') == 1
    assert '<link rel="stylesheet" href="/static/dist/site.css">' in html


@pytest.mark.parametrize("status", [Listing.Status.DRAFT, Listing.Status.ARCHIVED])
def test_a_host_previews_a_space_no_one_else_sees(client, status):
    listing = ListingFactory(status=status, title="Quiet loft, not yet live")
    url = listing.get_absolute_url()
    assert client.get(url).status_code == 404  # anonymous: not on the site
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404  # nor for anyone else
    client.force_login(listing.host)
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]  # never a shared copy
    assert "Preview: not published." in html and "Quiet loft, not yet live" in html
    assert f"/host/listings/listing/{listing.pk}/change/" in html
    assert "data-book-link" not in html  # nothing to request from oneself


def test_a_published_space_shows_its_host_no_preview_notice(client):
    listing = ListingFactory()
    client.force_login(listing.host)
    html = client.get(listing.get_absolute_url()).content.decode()
    assert "Preview: not published." not in html
