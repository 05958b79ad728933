import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.services import (
    EMAIL_TAKEN,
    HOSTS_GROUP,
    host_enable,
    host_permissions,
    user_create,
    user_update,
)
from accounts.tests.factories import UserFactory
from pivotdesk.tests.support import closed_port, smtp_mailers

pytestmark = pytest.mark.django_db


def _group_perms():
    group = Group.objects.get(name=HOSTS_GROUP)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_user_create_queues_the_welcome_email_for_the_worker(run_jobs):
    user = user_create(
        email=" Maya@Example.TEST",
        password="flatirons-at-dawn-42",
        name="Maya",
        company="Orbit",
    )
    assert mail.outbox == []  # the sign-up itself sends nothing
    run_jobs()
    run_jobs()  # nothing left: nothing twice

    assert user.email == "maya@example.test"
    assert user.check_password("flatirons-at-dawn-42")
    assert not user.is_host and not user.is_staff
    (message,) = mail.outbox
    assert message.to == ["maya@example.test"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "Welcome" in message.subject
    assert "Hi Maya" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<h1" in html and "Maya" in html


def test_user_create_refuses_a_taken_email_in_any_case():
    UserFactory(email="taken@example.test")
    with pytest.raises(ValidationError) as exc:
        user_create(email="TAKEN@example.test", password="flatirons-at-dawn-42")
    assert exc.value.message_dict == {"email": [EMAIL_TAKEN]}
    assert User.objects.filter(email__iexact="taken@example.test").count() == 1


def test_user_create_refuses_a_weak_password():
    with pytest.raises(ValidationError):
        user_create(email="weak@example.test", password="password")
    assert not User.objects.filter(email="weak@example.test").exists()


def test_host_enable_gives_exactly_the_host_permissions_and_is_idempotent():
    user = UserFactory()
    host_enable(user=user)
    host_enable(user=user)

    user.refresh_from_db()
    assert user.is_host and user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [HOSTS_GROUP]
    assert _group_perms() == set(host_permissions())
    assert not user.has_perm("listings.delete_listing")
    assert not user.has_perm("accounts.view_user")
    assert user.has_perm("listings.change_listing") and user.has_perm("listings.add_photo")


def test_host_enable_resyncs_the_group_when_the_list_grows(monkeypatch):
    group, _ = Group.objects.get_or_create(name=HOSTS_GROUP)  # migrate made it already
    # A stray permission someone added by hand is removed on the next sync.
    from django.contrib.auth.models import Permission

    group.permissions.add(Permission.objects.get(codename="delete_listing"))
    listings = django_apps.get_app_config("listings")
    monkeypatch.setattr(listings, "host_permissions", (*listings.host_permissions, "view_amenity"))
    extended = host_permissions()
    assert "listings.view_amenity" in extended

    host_enable(user=UserFactory())

    assert _group_perms() == set(extended)


def test_user_update_edits_the_profile_fields_only():
    user = UserFactory(email="p@example.test", is_host=False)
    user_update(user=user, name=" Pat ", company="RiNo Robots", phone="303-555-0101", bio="Hi.")
    user.refresh_from_db()
    assert (user.name, user.company, user.phone, user.bio) == (
        "Pat",
        "RiNo Robots",
        "303-555-0101",
        "Hi.",
    )
    assert user.email == "p@example.test" and not user.is_host


def test_user_update_validates_lengths():
    user = UserFactory()
    with pytest.raises(ValidationError):
        user_update(user=user, name="x" * 151)


def test_a_mail_server_that_is_down_does_not_fail_the_sign_up(settings, run_jobs):
    settings.MAILERS = smtp_mailers(closed_port(), timeout=2)

    user = user_create(email="offline@example.test", password="flatirons-at-dawn-42")
    run_jobs()

    assert User.objects.filter(pk=user.pk).exists()
