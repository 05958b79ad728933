import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError
from django.test import RequestFactory

from accounts.models import User


@pytest.mark.django_db
def test_create_user_logs_in_by_email_case_insensitively():
    user = User.objects.create_user(email="  Maya@Example.TEST ", password="s3cret-pass-phrase")

    assert user.email == "maya@example.test"
    assert not user.is_staff and not user.is_superuser and not user.is_host
    request = RequestFactory().post("/accounts/login/")
    assert (
        authenticate(request, username="MAYA@example.test", password="s3cret-pass-phrase") == user
    )
    assert authenticate(request, username="maya@example.test", password="wrong") is None


@pytest.mark.django_db
def test_email_is_unique():
    User.objects.create_user(email="a@example.test", password="x-long-password")
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="A@example.test", password="x-long-password")


@pytest.mark.django_db
def test_create_superuser_is_staff_and_superuser():
    admin = User.objects.create_superuser(email="ops@example.test", password="pw-ops-long")
    assert admin.is_staff and admin.is_superuser
    with pytest.raises(ValueError):
        User.objects.create_superuser(email="x@example.test", password="pw", is_superuser=False)


def test_user_has_no_username_and_logs_in_with_email():
    field_names = {f.name for f in User._meta.get_fields()}
    assert "username" not in field_names
    assert User.USERNAME_FIELD == "email"
    assert {"name", "company", "phone", "bio", "is_host"} <= field_names


def test_display_name_falls_back_to_email():
    assert User(email="sam@rino.test").display_name == "sam"
    assert User(email="sam@rino.test", name="Sam Okafor").display_name == "Sam Okafor"
