"""The Hosts group follows the apps' host_permissions after every migrate (a deploy's release)."""

import logging

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from accounts.models import User
from accounts.services import HOSTS_GROUP, host_enable, host_permissions
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _group_perms():
    group = Group.objects.get(name=HOSTS_GROUP)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_a_migrated_database_has_the_hosts_group_with_exactly_the_host_permissions():
    # The test database was made by migrate; nobody has become a host yet.
    assert _group_perms() == set(host_permissions())


def grant_listings(monkeypatch, *codenames):
    """As a release whose listings app lists ``codenames`` too."""
    config = django_apps.get_app_config("listings")
    monkeypatch.setattr(config, "host_permissions", (*config.host_permissions, *codenames))


def test_a_deploy_gives_existing_hosts_the_permissions_a_release_adds(monkeypatch):
    host = host_enable(user=UserFactory())
    assert not host.has_perm("listings.view_amenity")
    # The new release lists one more permission, and a stray one was added by hand.
    grant_listings(monkeypatch, "view_amenity")
    Group.objects.get(name=HOSTS_GROUP).permissions.add(
        Permission.objects.get(codename="delete_listing")
    )

    call_command("migrate", verbosity=0)  # what the release phase runs
    call_command("migrate", verbosity=0)  # and again on the next deploy: nothing changes

    host = User.objects.get(pk=host.pk)  # permissions are cached per instance
    assert host.has_perm("listings.view_amenity")
    assert not host.has_perm("listings.delete_listing")
    assert Group.objects.filter(name=HOSTS_GROUP).count() == 1
    assert _group_perms() == set(host_permissions())


def test_migrate_still_succeeds_when_a_listed_permission_is_missing(monkeypatch, caplog):
    # As after migrating only some apps: the permission is not in the database (yet).
    grant_listings(monkeypatch, "fly_listing")
    with caplog.at_level(logging.WARNING, logger="accounts.apps"):
        call_command("migrate", verbosity=0)
    assert "Hosts group not synced" in caplog.text and "listings.fly_listing" in caplog.text
    assert _group_perms() == set(host_permissions()) - {"listings.fly_listing"}
