"""Writes for accounts: sign-up, profile edits, becoming a host, changing the email address,
closing the account, and their emails.

Lock order (docs/decisions/0155): the member's row first (``user_lock``, ``member_lock``:
closing, an email change, and every write a member makes for themselves in the other apps),
then listings by ascending id, then a team, then their rows (bookings, holds, tours, lines).
Closing follows it (docs/decisions/0175): the user's row; then every listing the apps will
touch, in ascending id (asked with ``accounts.signals.account_close_listings``, locked by
listings on ``account_close_lock``: accounts imports no app above it); then what the apps
listening to ``account_closed`` lock (a team, rows) in whatever order they run.
"""

import uuid

from django.apps import apps as django_apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from pivotdesk.pagecache import public_content_changed

from .models import User
from .selectors import account_close_blockers
from .signals import account_close_listings, account_close_lock, account_closed
from .tasks import (
    account_closed_email_send,
    account_exists_email_send,
    email_change_confirm_send,
    email_change_notice_send,
    welcome_email_send,
)

EMAIL_TAKEN = (
    "An account with this email already exists. Log in, or reset your password if you "
    "have forgotten it."
)

EMAIL_SAME = "This is already your email address."
ACCOUNT_CLOSED = "This account is closed."

HOSTS_GROUP = "Hosts"
# A closed account's address: unique (its id), and in the ".invalid" top-level domain that
# RFC 2606 reserves, so it can never receive mail nor be anyone's real address.
CLOSED_EMAIL = "closed-{pk}@closed.invalid"


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


def host_permissions() -> list[str]:
    """Exactly what a host needs in /host/, as "app_label.codename": each app lists its own
    in its AppConfig's ``host_permissions`` (codenames of its models)."""
    return sorted(
        f"{config.label}.{codename}"
        for config in django_apps.get_app_configs()
        for codename in getattr(config, "host_permissions", ())
    )


@transaction.atomic
def hosts_group_sync(*, permissions: list[str] | None = None) -> Group:
    """Create the "Hosts" group if needed and give it exactly ``host_permissions()``.

    Runs after every migrate (``accounts.apps``), so a deploy updates existing hosts, and on
    every host_enable. Raises ImproperlyConfigured when a listed permission does not exist.
    """
    group, _ = Group.objects.get_or_create(name=HOSTS_GROUP)
    wanted = _permissions(host_permissions() if permissions is None else permissions)
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


def user_lock(*, user_id: int) -> User:
    """The user's row, re-read under its lock until the transaction ends: the first lock of
    any write that locks it (docs/decisions/0155). A no-key lock (``FOR NO KEY UPDATE``):
    rows that merely point at the user (a booking, a tour, a message) are still written
    meanwhile; only the member's own writes queue. Caller must be inside transaction.atomic.
    """
    return User.objects.select_for_update(no_key=True).get(pk=user_id)


def member_lock(*, user: User) -> User:
    """``user_lock`` for a write a member makes for themselves (a request, a tour, a place
    in a line, an offer taken up, a saved search), taken before any listing's lock, so it
    queues with ``user_close`` instead of deadlocking with it. Raises ValidationError
    (ACCOUNT_CLOSED, code "closed") once the account is closed: nothing new is made for a
    closed account, and a close that commits first is seen here."""
    locked = user_lock(user_id=user.pk)
    if locked.is_closed:
        raise ValidationError(ACCOUNT_CLOSED, code="closed")
    return locked


def _email_taken(email: str, *, by_other_than: User) -> bool:
    return User.objects.filter(email=email).exclude(pk=by_other_than.pk).exists()


@transaction.atomic
def user_email_change_request(*, user: User, new_email: str) -> str:
    """Ask to move ``user``'s login to ``new_email``: nothing changes yet. A signed link
    (good for EMAIL_CHANGE_MAX_AGE) goes to the new address and a notice to the current
    one, both queued in this transaction. Returns the new address in its canonical form.

    Raises ValidationError for an invalid address, the current one, or one another account
    has (in any spelling that folds to it). The caller checks the member's password.
    """
    new_email = User.objects.normalize_email(new_email)
    validate_email(new_email)
    if new_email == user.email:
        raise ValidationError({"email": EMAIL_SAME}, code="email_same")
    if _email_taken(new_email, by_other_than=user):
        raise ValidationError({"email": EMAIL_TAKEN}, code="email_taken")
    key = uuid.uuid4().hex
    email_change_confirm_send.enqueue(user_id=user.pk, new_email=new_email, key=key)
    email_change_notice_send.enqueue(user_id=user.pk, new_email=new_email, key=key)
    return new_email


@transaction.atomic
def user_email_change(*, user: User, new_email: str) -> User:
    """Make ``new_email`` ``user``'s address and login (its link was confirmed).

    Under the user's row lock. Idempotent: the address it already has changes nothing.
    Raises ValidationError when another account has the address by now (checked again here,
    and by the unique constraint when two confirmations race) or the account is closed.
    """
    locked = user_lock(user_id=user.pk)
    new_email = User.objects.normalize_email(new_email)
    if not locked.is_active or locked.is_closed:
        raise ValidationError(ACCOUNT_CLOSED, code="closed")
    if locked.email == new_email:
        user.email = new_email
        return locked
    if _email_taken(new_email, by_other_than=locked):
        raise ValidationError({"email": EMAIL_TAKEN}, code="email_taken")
    locked.email = new_email
    # Uniqueness is ours to say (above, and the constraint below when a race gets past it).
    locked.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            locked.save(update_fields=["email"])
    except IntegrityError as exc:
        raise ValidationError({"email": EMAIL_TAKEN}, code="email_taken") from exc
    user.email = locked.email
    return locked


def _close_listings_lock(user: User) -> list[int]:
    """Lock every listing ``account_closed``'s receivers will lock for ``user``, in
    ascending id, and return their ids. The apps name them (``account_close_listings``);
    listings locks them (``account_close_lock``). Caller holds the user's row lock."""
    listing_ids = sorted(
        {pk for _receiver, ids in account_close_listings.send(sender=User, user=user) for pk in ids}
    )
    if listing_ids:
        account_close_lock.send(sender=User, user=user, listing_ids=listing_ids)
    return listing_ids


@transaction.atomic
def user_close(*, user: User) -> User:
    """Close ``user``'s account, for good, when nothing they are part of has to go on.

    Under the user's row lock, the first lock (docs/decisions/0155: the member, then
    listings, then a team, then rows): a request or tour the member makes at the same
    moment either commits first and refuses the close, or waits and is refused itself
    (``member_lock``). Before any app lets go, every listing the apps will lock is locked,
    in ascending id (``_close_listings_lock``, docs/decisions/0175), so no app's receiver
    holds a team while it waits for a listing.
    Every app is asked why not (``account_close_blockers``);
    any reason refuses the whole close (ValidationError with the reasons). Then the apps
    let go of what they hold (``accounts.signals.account_closed``: listings archived, saved
    searches deleted, waitlists and teams left, the card on file forgotten and the Stripe
    customer deleted by a job), and the account is deactivated and
    scrubbed: name, company, phone and bio emptied, the address replaced by a unique
    undeliverable one (so the real one can sign up again), the password made unusable —
    which ends every session — and staff access and groups removed. Past bookings,
    reviews, messages and receipts keep pointing at the row and show "Former member"
    (docs/decisions/0145). A goodbye email goes to the old address after the commit.

    Idempotent: closing a closed account changes nothing and sends nothing.
    """
    locked = user_lock(user_id=user.pk)
    if locked.is_closed:
        return locked
    reasons = account_close_blockers(user=locked)
    if reasons:
        raise ValidationError(reasons, code="account_in_use")
    old_email, old_name = locked.email, locked.name
    _close_listings_lock(locked)
    account_closed.send(sender=User, user=locked)
    locked.closed_at = timezone.now()
    locked.is_active = False
    locked.is_staff = False
    locked.is_superuser = False
    locked.name = locked.company = locked.phone = locked.bio = ""
    locked.email = CLOSED_EMAIL.format(pk=locked.pk)
    locked.set_unusable_password()
    locked.full_clean()
    locked.save()
    locked.groups.clear()
    locked.user_permissions.clear()
    # Reviews and a host's archived pages name the member: public pages change.
    public_content_changed(instance=locked)
    account_closed_email_send.enqueue(user_id=locked.pk, email=old_email, name=old_name)
    return locked
