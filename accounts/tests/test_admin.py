"""Who gets which admin: operators /admin/, hosts /host/, guests neither."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from accounts.tests.conftest import PASSWORD
from listings.models import Listing
from listings.tests.factories import image_upload

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/listings/listing/",
    "/admin/listings/photo/",
    "/admin/listings/city/",
    "/admin/listings/neighborhood/",
    "/admin/listings/amenity/",
    "/admin/auth/group/",
    "/admin/axes/accessattempt/",
]
HOST_PAGES = ["/host/", "/host/listings/listing/", "/host/listings/listing/add/"]


def _is_login_redirect(response, site):
    return response.status_code == 302 and response["Location"].startswith(f"/{site}/login/")


@pytest.mark.parametrize("who", ["anonymous", "guest"])
def test_guests_get_no_host_admin_and_no_admin(client, guest, listing_b, who):
    if who == "guest":
        client.force_login(guest)
    for url in [*HOST_PAGES, f"/host/listings/listing/{listing_b.pk}/change/"]:
        assert _is_login_redirect(client.get(url), "host"), url
    for url in [*ADMIN_PAGES, f"/admin/listings/listing/{listing_b.pk}/change/"]:
        assert _is_login_redirect(client.get(url), "admin"), url
    # Nor can they post their way in.
    response = client.post("/host/listings/listing/add/", {"title": "Sneaky"})
    assert _is_login_redirect(response, "host")
    assert not Listing.objects.filter(title="Sneaky").exists()


def test_a_guest_cannot_log_in_to_the_host_admin(client, guest):
    response = client.post(
        reverse("host:login"), {"username": guest.email, "password": PASSWORD, "next": "/host/"}
    )
    assert response.status_code == 200  # the login form again, with an error
    assert client.get("/host/").status_code == 302


def test_a_host_gets_no_admin(client, host_a, listing_a):
    client.force_login(host_a)
    assert client.get("/host/").status_code == 200
    for url in [*ADMIN_PAGES, f"/admin/listings/listing/{listing_a.pk}/change/"]:
        assert _is_login_redirect(client.get(url), "admin"), url
    client.logout()
    response = client.post(
        reverse("admin:login"), {"username": host_a.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 200
    assert "Please enter the correct" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert _is_login_redirect(client.get("/admin/"), "admin")


def test_operator_logs_in_to_admin(client, operator):
    response = client.post(
        reverse("admin:login"),
        {"username": operator.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_operator_sees_everything(client, operator, listing_a, listing_b, photo_b, guest):
    client.force_login(operator)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url
    listings = client.get("/admin/listings/listing/").content.decode()
    assert "Anna&#x27;s sunny loft" in listings and "Ben&#x27;s secret garage" in listings
    users = client.get("/admin/accounts/user/").content.decode()
    for email in ("anna@hosts.test", "ben@hosts.test", "gia@guests.test"):
        assert email in users
    for url in (
        f"/admin/listings/listing/{listing_b.pk}/change/",
        f"/admin/listings/photo/{photo_b.pk}/change/",
        f"/admin/accounts/user/{guest.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    # Autocomplete of hosts on the listing form works for operators.
    hosts = client.get(
        "/admin/autocomplete/",
        {"app_label": "listings", "model_name": "listing", "field_name": "host", "term": "ben"},
    ).json()
    assert [r["text"] for r in hosts["results"]] == ["ben@hosts.test"]


def test_operator_creates_a_user_by_email(client, operator):
    client.force_login(operator)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Host@Example.test",
            "usable_password": "true",
            "password1": "flatirons-at-dawn-42",
            "password2": "flatirons-at-dawn-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.host@example.test")
    assert user.check_password("flatirons-at-dawn-42")

    form = client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    for field in ("email", "name", "company", "phone", "bio", "is_host"):
        assert f'name="{field}"' in form


def test_operator_photo_upload_is_validated_and_gets_variants(client, operator, listing_b):
    client.force_login(operator)
    response = client.post(
        "/admin/listings/photo/add/",
        {"listing": listing_b.pk, "image": image_upload(size=(900, 600)), "position": "0"},
    )
    assert response.status_code == 302
    photo = listing_b.photos.get()
    assert photo.card_jpeg and photo.hero_webp


@pytest.mark.slow
def test_seed_demo_hosts_manage_their_listings_in_host_admin(client):
    call_command("seed_demo")
    demo = User.objects.get(email="host@pivotdesk.test")
    assert demo.is_host and demo.is_staff and not demo.is_superuser

    response = client.post(
        reverse("host:login"),
        {"username": "host@pivotdesk.test", "password": "pivotdesk-demo-host", "next": "/host/"},
    )
    assert response.status_code == 302 and response["Location"] == "/host/"
    changelist = client.get("/host/listings/listing/?all=")
    assert changelist.status_code == 200
    mine = Listing.objects.filter(host=demo)
    theirs = Listing.objects.exclude(host=demo)
    assert mine.exists() and theirs.exists()
    html = changelist.content.decode()
    assert f"{mine.count()} listing" in html
    other = theirs.first()
    assert client.get(f"/host/listings/listing/{other.pk}/change/").status_code == 302
    assert client.get(f"/host/listings/listing/{mine.first().pk}/change/").status_code == 200


def test_a_logged_in_guest_at_host_is_offered_to_become_a_host(client, guest):
    client.force_login(guest)
    page = client.get("/host/", follow=True).content.decode()
    assert reverse("accounts:become_host") in page


@pytest.mark.parametrize("ticked", [("is_host", "is_staff"), ("is_host",)])
def test_a_host_made_by_an_operator_in_admin_can_manage_spaces_in_host(
    client, operator, guest, ticked
):
    client.force_login(operator)
    response = client.post(
        f"/admin/accounts/user/{guest.pk}/change/",
        {
            "email": guest.email,
            "name": guest.name,
            "company": guest.company,
            "phone": "",
            "bio": "",
            "is_active": "on",
            **dict.fromkeys(ticked, "on"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    client.force_login(User.objects.get(pk=guest.pk))
    index = client.get("/host/").content.decode()
    assert "permission" not in index.lower()
    assert client.get("/host/listings/listing/").status_code == 200
    assert client.get("/host/listings/listing/add/").status_code == 200


def test_saving_a_closed_host_in_admin_gives_no_access_back(client, operator, host_a):
    from accounts.services import user_close

    closed = user_close(user=host_a)
    client.force_login(operator)
    page = client.get(f"/admin/accounts/user/{closed.pk}/change/").content.decode()
    assert "Closed at" in page
    response = client.post(
        f"/admin/accounts/user/{closed.pk}/change/",
        {"email": closed.email, "name": "", "company": "", "phone": "", "bio": "", "is_host": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    closed.refresh_from_db()
    assert closed.is_closed and not closed.is_staff and not closed.groups.exists()
