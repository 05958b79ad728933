import unicodedata

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


def canonical_email(email: str | None) -> str:
    """The one form an email address is stored, looked up and throttled under.

    NFKC folds compatibility characters (``ﬀ`` → ``ff``, the Kelvin sign → ``K``); upper-
    then case-folding maps every spelling a database's case-insensitive comparison treats as
    equal onto one string (``ſ`` → ``s``, dotless ``ı`` → ``i``, ``ß`` → ``ss``). So
    ``hoſt@pivotdeſk.teſt`` is ``host@pivotdesk.test``: the same account, the same lock-out
    budget, and no second account under a look-alike spelling.
    """
    folded = unicodedata.normalize("NFKC", (email or "").strip()).upper().casefold()
    return unicodedata.normalize("NFKC", folded)


# What a closed account's bookings, reviews and messages show instead of a name.
FORMER_MEMBER = "Former member"


class UserManager(BaseUserManager):
    """Email is the login. It is stored in its canonical form (``canonical_email``) and
    looked up by exact match, never by the database's own case folding."""

    use_in_migrations = True

    def normalize_email(self, email):
        return canonical_email(email)

    def get_by_natural_key(self, email):
        return self.get(email=canonical_email(email))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields.get("is_staff") is not True or extra_fields.get("is_superuser") is not True:
            raise ValueError("A superuser needs is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A PivotDesk account. Guests book desks; hosts (``is_host``) also list space."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    company = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    bio = models.TextField(blank=True, max_length=2000)
    is_host = models.BooleanField(
        default=False, help_text="Hosts list space and manage it in the host admin (/host/)."
    )
    closed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the member closed the account (accounts.services.user_close).",
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    @property
    def display_name(self):
        """What other people see: the name, or the part of the email before the @; for a
        closed account, whose name and address are gone, "Former member"."""
        if self.closed_at is not None:
            return FORMER_MEMBER
        return self.name or self.email.split("@", 1)[0]

    @property
    def is_closed(self):
        return self.closed_at is not None

    @property
    def is_operator(self):
        """A PivotDesk operator: an active superuser (staff), who alone opens /admin/."""
        return self.is_active and self.is_staff and self.is_superuser

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.display_name
