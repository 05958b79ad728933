"""Writes for accounts: sign-up, profile edits, becoming a host, and their emails."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode

from .models import User

EMAIL_TAKEN = (
    "An account with this email already exists. Log in, or reset your password if you "
    "have forgotten it."
)

HOSTS_GROUP = "Hosts"

# A sign-in link is good for one use (it names the user's last login, which the use changes)
# and for SIGNIN_LINK_MAX_AGE seconds.
SIGNIN_LINK_SALT = "accounts.signin-link"


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


def signin_link_make(*, user: User, next_url: str = "") -> str:
    """A one-use link (absolute, from SITE_URL) that logs ``user`` in and goes to ``next_url``."""
    last_login = user.last_login.isoformat() if user.last_login else ""
    token = signing.dumps({"u": user.pk, "l": last_login}, salt=SIGNIN_LINK_SALT)
    url = settings.SITE_URL + reverse("accounts:signin_link", args=[token])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def signin_link_user(*, token: str) -> User | None:
    """The active user a sign-in link is for, or None when it is forged, used or expired."""
    try:
        data = signing.loads(token, salt=SIGNIN_LINK_SALT, max_age=settings.SIGNIN_LINK_MAX_AGE)
        user = User.objects.filter(pk=int(data["u"]), is_active=True).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if user is None:
        return None
    last_login = user.last_login.isoformat() if user.last_login else ""
    return user if data.get("l") == last_login else None


def _account_email_send(*, user: User, template: str, context: dict) -> None:
    context = {"user": user, "site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=" ".join(subject.splitlines()),
        body=render_to_string(f"accounts/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string(f"accounts/email/{template}.html", context), "text/html"
    )
    message.send()


def welcome_email_send(*, user_id: int, next_url: str = "") -> None:
    """Send the welcome email (text + HTML), with a one-use link that logs the new member in."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    link = signin_link_make(user=user, next_url=next_url)
    _account_email_send(user=user, template="welcome", context={"signin_link": link})


def account_exists_email_send(*, user_id: int) -> None:
    """Tell an account's owner that someone tried to sign up again with their address."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    _account_email_send(user=user, template="account_exists", context={})


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
    transaction.on_commit(lambda: account_exists_email_send(user_id=existing.pk), robust=True)


@transaction.atomic
def user_create(
    *, email: str, password: str, name: str = "", company: str = "", next_url: str = ""
) -> User:
    """Create a guest account and send the welcome email once the transaction commits.

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
    # robust: a mail server that is down is logged, and never undoes or fails the sign-up.
    transaction.on_commit(
        lambda: welcome_email_send(user_id=user.pk, next_url=next_url), robust=True
    )
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
