"""A host posts a space through /host/ in a real browser: fields, a photo with its preview,
save; the space is then public with its photo."""

import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from .conftest import HOST_EMAIL, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _jpeg(tmp_path):
    path = tmp_path / "our-space.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (90, 140, 110)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return path


def _host_on_add_form(new_context, site_data):
    from accounts.services import host_enable

    host_enable(user=site_data["host"])
    host = new_context().new_page()
    log_in(host, HOST_EMAIL, url="/host/")
    host.goto("/host/listings/listing/add/")
    return host


def test_photo_preview_shows_under_the_sites_csp(new_context, site_data, page_problems, tmp_path):
    host = _host_on_add_form(new_context, site_data)
    host.locator("input.photo-upload").first.set_input_files(_jpeg(tmp_path))
    preview = host.locator("img.photo-upload-preview")
    expect(preview).to_be_visible()
    host.wait_for_function("(img) => img.complete", arg=preview.element_handle())
    assert host.evaluate("(img) => img.naturalWidth", preview.element_handle()) > 0
    assert page_problems == []


def test_host_posts_a_space_with_a_photo(new_context, site_data, shot, page_problems, tmp_path):
    from listings.models import Listing

    host = _host_on_add_form(new_context, site_data)
    shot(host, "add-form")

    host.locator("#id_title").fill("Corner desks by the creek")
    host.locator("#id_title").press("End")  # admin's prepopulate listens to keyup
    expect(host.locator("#id_slug")).to_have_value("corner-desks-by-the-creek")  # prepopulated
    host.locator("#id_status").select_option("published")
    host.locator("#id_space_type").select_option("hot_desk")
    host.locator("#id_description").fill("Six hot desks, a view of Boulder Creek.")
    host.locator("#id_city").select_option(label="Boulder")
    host.locator("#id_neighborhood").select_option(label="Pearl Street, Boulder")
    host.locator("#id_address").fill("1200 Canyon Blvd, Boulder, CO")
    host.locator("#id_latitude").fill("40.0150")
    host.locator("#id_longitude").fill("-105.2800")
    host.locator("#id_desks").fill("6")
    host.locator("#id_price_per_desk").fill("275")
    host.locator("#id_min_term_months").fill("1")
    host.locator("#id_available_from").fill(timezone.localdate().isoformat())
    host.locator("input.photo-upload").first.set_input_files(_jpeg(tmp_path))
    expect(host.locator("img.photo-upload-preview")).to_be_visible()
    shot(host, "photo-chosen")
    host.locator("input[name=_save]").first.click()
    expect(host.locator(".messagelist")).to_contain_text("was added successfully")
    shot(host, "saved")

    listing = Listing.objects.get(slug="corner-desks-by-the-creek")
    assert listing.host == site_data["host"]
    assert listing.photos.count() == 1

    visitor = new_context().new_page()
    visitor.goto(listing.get_absolute_url())
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Corner desks by the creek")
    photo = visitor.locator(".gallery img").first
    expect(photo).to_be_visible()
    assert visitor.evaluate("(img) => img.naturalWidth", photo.element_handle()) > 0
    shot(visitor, "public")
    assert page_problems == []


def test_a_host_places_the_pin_on_a_map(new_context, site_data, shot, page_problems):
    """No coordinates to type: the map opens on the chosen neighborhood, a click places the
    pin and fills both fields, which save as typed ones would."""
    from listings.models import Listing, Neighborhood

    pearl = Neighborhood.objects.get(name="Pearl Street")
    host = _host_on_add_form(new_context, site_data)
    picker = host.locator("[data-pin-picker]")
    expect(picker).to_be_visible()
    expect(host.get_by_text("Or click the map")).to_be_visible()
    host.locator("#id_city").select_option(label="Boulder")
    host.locator("#id_neighborhood").select_option(label="Pearl Street, Boulder")
    expect(host.locator("#id_latitude")).to_have_value("")

    box = picker.bounding_box()
    picker.click(position={"x": box["width"] / 2 + 40, "y": box["height"] / 2 - 30})
    latitude = float(host.locator("#id_latitude").input_value())
    longitude = float(host.locator("#id_longitude").input_value())
    # Zoomed on the neighborhood: a click a little north-east of the centre lands close by.
    assert 0 < latitude - float(pearl.latitude) < 0.01, latitude
    assert 0 < longitude - float(pearl.longitude) < 0.01, longitude
    expect(host.locator(".leaflet-marker-icon")).to_have_count(1)
    shot(host, "pin-placed")

    for selector, value in {
        "#id_title": "Desks with a pin",
        "#id_description": "Four desks near Pearl Street.",
        "#id_address": "1300 Pearl St, Boulder, CO",
        "#id_desks": "4",
        "#id_price_per_desk": "250",
        "#id_available_from": timezone.localdate().isoformat(),
    }.items():
        host.locator(selector).fill(value)
    host.locator("#id_title").press("End")  # the slug follows the title
    host.locator("#id_space_type").select_option("hot_desk")
    host.locator("input[name=_save]").first.click()
    expect(host.locator(".messagelist")).to_contain_text("was added successfully")
    listing = Listing.objects.get(slug="desks-with-a-pin")
    assert (float(listing.latitude), float(listing.longitude)) == (latitude, longitude)

    # Its change page opens the map on the saved pin.
    host.goto(f"/host/listings/listing/{listing.pk}/change/")
    expect(host.locator(".leaflet-marker-icon")).to_have_count(1)
    assert page_problems == []
