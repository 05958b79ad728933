"""Writes for accounts: sign-up, profile edits, becoming a host, and their emails."""

import uuid

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from .models import User
from .tasks import account_exists_email_send, welcome_email_send

EMAIL_TAKEN = (
    "An account with this email already exists. Log in, or reset your password if you "
    "have forgotten it."
)

HOSTS_GROUP = "Hosts"


def _permissions(names: list[str]) -> list[Permission]:
    query = Q()
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query).select_related("content_type"))
    missing = set(names) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise ImproperlyConfigured(
            f"Host permissions missing from the database: {sorted(missing)}. Run migrate."
        )
    return found


@transaction.atomic
def hosts_group_sync(*, permissions: list[str] | None = None) -> Group:
    """Create the "Hosts" group if needed and give it exactly ``settings.HOST_PERMISSIONS``.

    Runs after every migrate (``accounts.apps``), so a deploy updates existing hosts, and on
    every host_enable. Raises ImproperlyConfigured when a listed permission does not exist.
    """
    group, _ = Group.objects.get_or_create(name=HOSTS_GROUP)
    wanted = _permissions(settings.HOST_PERMISSIONS if permissions is None else permissions)
    if set(group.permissions.all()) != set(wanted):
        group.permissions.set(wanted)
    return group


@transaction.atomic
def host_enable(*, user: User) -> User:
    """Make ``user`` a host: staff access to /host/ (not /admin/) through the Hosts group.

    Idempotent: calling it again re-syncs the group's permissions and changes nothing else.
    """
    group = hosts_group_sync()
    if not (user.is_host and user.is_staff):
        user.is_host = True
        user.is_staff = True
        user.full_clean()
        user.save(update_fields=["is_host", "is_staff"])
    user.groups.add(group)
    return user


@transaction.atomic
def user_signup(
    *, email: str, password: str, name: str = "", company: str = "", next_url: str = ""
) -> None:
    """Sign-up from the public form. Its outcome never says whether the email has an account.

    A new address gets an account and a welcome email with a one-use sign-in link; an address
    that has an account gets an email telling its owner, and nothing else changes. Both take
    the same work (a password hash) and send one email. Raises ValidationError only for what
    does not depend on other accounts (a password the validators refuse).
    """
    email = User.objects.normalize_email(email)
    validate_password(password, user=User(email=email, name=name, company=company))
    existing = User.objects.filter(email=email).first()
    if existing is None:
        try:
            user_create(
                email=email, password=password, name=name, company=company, next_url=next_url
            )
        except ValidationError:
            existing = User.objects.filter(email=email).first()  # lost a race for it?
            if existing is None:
                raise
        else:
            return
    make_password(password)
    # A job in this transaction: the owner is told by the worker once this commits.
    account_exists_email_send.enqueue(user_id=existing.pk, key=uuid.uuid4().hex)


@transaction.atomic
def user_create(
    *, email: str, password: str, name: str = "", company: str = "", next_url: str = ""
) -> User:
    """Create a guest account; the welcome email (with a one-use sign-in link that goes on
    to ``next_url``) is queued with it (accounts.tasks).

    Raises ValidationError for a taken email or a password the validators refuse.
    """
    email = User.objects.normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": EMAIL_TAKEN}, code="email_taken")
    user = User(email=email, name=name.strip(), company=company.strip())
    validate_password(password, user=user)
    user.set_password(password)
    user.full_clean()
    try:
        # A savepoint, so that losing a race for the email leaves the transaction usable.
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError({"email": EMAIL_TAKEN}, code="email_taken") from exc
    # A job in this transaction: mailed by the worker once the sign-up commits.
    welcome_email_send.enqueue(user_id=user.pk, next_url=next_url)
    return user


@transaction.atomic
def user_update(
    *, user: User, name: str, company: str = "", phone: str = "", bio: str = ""
) -> User:
    """Edit the profile fields a member may change themselves."""
    user.name = name.strip()
    user.company = company.strip()
    user.phone = phone.strip()
    user.bio = bio.strip()
    user.full_clean()
    user.save(update_fields=["name", "company", "phone", "bio"])
    return user
