"""PivotDesk settings: one module, read from the environment.

Production differs from a laptop by environment variables only (see README.md,
"Configuration"). Importing this module must never touch the database or Redis: the
platform runs ``collectstatic`` at build time with nothing reachable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off PivotDesk refuses to start without one: "
            "set SECRET_KEY to a long random string (or DEBUG=1 on a laptop)."
        )
    SECRET_KEY = "django-insecure-local-development-only-never-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    "accounts",
    "listings",
    "bookings",
    "pages",
    "pivotdesk",  # template tags + cache-invalidation signals (pivotdesk/apps.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pivotdesk.middleware_cache.CacheHeadersMiddleware",  # before SessionMiddleware
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Database down or too slow: a friendly 503 with Retry-After, never a 500 (issue #8).
    "pivotdesk.middleware.dberrors.DatabaseErrorMiddleware",
]

ROOT_URLCONF = "pivotdesk.urls"
WSGI_APPLICATION = "pivotdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pivotdesk.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite on a laptop; DATABASE_URL (Postgres) in CI and production. Timeouts keep a
# hanging database from holding a request anywhere near the router's 30 s.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=3)
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=5000)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": DB_CONNECT_TIMEOUT,
            "options": f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------
# Local memory on a laptop; REDIS_URL in CI and production. Exceptions are ignored so a
# Redis outage serves uncached pages instead of 500s; socket timeouts are short for the
# same reason.
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.25)
if REDIS_URL:
    _redis_pool_kwargs = {"health_check_interval": 30}
    if REDIS_URL.startswith("rediss://"):
        # Heroku Redis presents a self-signed certificate.
        _redis_pool_kwargs["ssl_cert_reqs"] = None
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="pd"),
            "TIMEOUT": 300,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "CONNECTION_POOL_KWARGS": _redis_pool_kwargs,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pivotdesk",
            "TIMEOUT": 300,
        }
    }

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18N -----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Denver"
# One language (Boulder and Denver, in English). Django's advice when translations are not
# used: turn the machinery off. Every number, date and URL on a page asked the per-request
# active language through a context-local: ~4 % of a render (docs/PERFORMANCE.md, session 3).
USE_I18N = False
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_HOST = env.str("STATIC_HOST", default="").rstrip("/")
STATIC_URL = f"{STATIC_HOST}/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "pivotdesk.bundles.BundleFinder",
]
# Served as one file each (pivotdesk/bundles.py): a first visit fetches one stylesheet and,
# on pages with a map, one script, instead of two and three.
STATIC_BUNDLES = {
    "css/site.css": ["vendor/leaflet/leaflet.css", "css/pivotdesk.css"],
    "js/site.js": ["vendor/leaflet/leaflet.js", "js/map.js", "js/search.js", "js/prefill.js"],
}
# Unhashed static names only (hashed ones are immutable for a year, pivotdesk/assets.py):
# their content can change under the same URL, so WhiteNoise's default.
WHITENOISE_MAX_AGE = 60 if not DEBUG else 0

MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default=None)
    AWS_QUERYSTRING_AUTH = False
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = False
    # An upload talks to S3 inside the host's request, which the router ends at 30 s:
    # boto3's defaults (60 s to connect, 60 s per read, retried) would outlast it.
    from botocore.config import Config

    AWS_S3_CLIENT_CONFIG = Config(
        connect_timeout=3, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}
    )
    # Photo variants get new names when they change, so they can be cached for a year.
    AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "public, max-age=31536000, immutable"}
    MEDIA_URL = (
        f"https://{AWS_S3_CUSTOM_DOMAIN}/"
        if AWS_S3_CUSTOM_DOMAIN
        else env.str("MEDIA_URL", default="/media/")
    )

# Uploads: refuse anything bigger than this before Pillow looks at it.
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
MAX_IMAGE_PIXELS = env.int("MAX_IMAGE_PIXELS", default=40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Email ----------------------------------------------------------------------------
# Django 6.1's MAILERS (the EMAIL_* settings are deprecated). Console by default; EMAIL_URL
# (smtp://, smtp+tls://, smtp+ssl://, consolemail://, filemail:///path, parsed by
# django-environ) for a real mailer.
_email_url = env.str("EMAIL_URL", default="")
_email = env.email_url_config(_email_url or "consolemail://")
_mailer_options = {
    "django.core.mail.backends.smtp.EmailBackend": {
        "host": _email["EMAIL_HOST"],
        "port": _email["EMAIL_PORT"],
        "username": _email["EMAIL_HOST_USER"],
        "password": _email["EMAIL_HOST_PASSWORD"],
        "use_tls": _email.get("EMAIL_USE_TLS", False),
        "use_ssl": _email.get("EMAIL_USE_SSL", False),
        # Emails go out after commit, inside the request: a hanging mail server must not
        # hold it anywhere near the router's 30 s.
        "timeout": env.int("EMAIL_TIMEOUT", default=5),
    },
    "django.core.mail.backends.filebased.EmailBackend": {"file_path": _email["EMAIL_FILE_PATH"]},
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": _mailer_options.get(_email["EMAIL_BACKEND"], {}),
    }
}
if not _email_url:
    # Mail to the log is how the beta and review apps run (app.json), so the release phase's
    # `check --deploy` lets it pass; `golive` blocks it before the site goes public.
    SILENCED_SYSTEM_CHECKS = ["mail.E001"]
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PivotDesk <hello@pivotdesk.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Maps -----------------------------------------------------------------------------
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="&copy; OpenStreetMap contributors")

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"level": "INFO"},
    },
}

# --- Accounts: login throttling (django-axes), the operator admin -------------------------
# /admin/ is for operators (superusers) only; hosts are staff for /host/ and must not reach
# /admin/, so the default admin site is swapped for accounts.admin_site.OperatorAdminSite.
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = "accounts.apps.OperatorAdminConfig"
INSTALLED_APPS += ["axes"]
# Axes turns a refused login into its lockout page; it must see every login view's response.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
# Exactly what a host needs in /host/ ("app_label.codename"): the Hosts group is re-synced to
# this list after every migrate (the release phase) and by accounts.services.host_enable.
# Hosts never delete listings (they archive them).
HOST_PERMISSIONS = [
    "listings.view_listing",
    "listings.add_listing",
    "listings.change_listing",
    "listings.view_photo",
    "listings.add_photo",
    "listings.change_photo",
    "listings.delete_photo",
    # Booking requests on their own listings: seen and answered (approve/decline actions).
    "bookings.view_booking",
    "bookings.change_booking",
    "bookings.view_message",
    "bookings.view_bookingevent",
]
AUTHENTICATION_BACKENDS = [
    # First: axes' AxesStandaloneBackend, refusing locked-out logins, right password or not.
    "accounts.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Each entry locks on its own: too many failures for one account OR from one address.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"  # AuthenticationForm's name for the email field
AXES_USERNAME_CALLABLE = "accounts.throttle.login_username"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"  # 429 page + Retry-After
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
# The platform router appends the address it saw to X-Forwarded-For; count the proxies we
# trust from the right. 0 ignores the header (REMOTE_ADDR only).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)

# --- Going live (issue 7) ---------------------------------------------------------------
# Everything the platform needs, read from the environment: HTTPS behind the router, a
# Content-Security-Policy, the beta gate, Sentry. `python manage.py golive` checks the lot.
import os  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

from django.utils.csp import CSP  # noqa: E402

if "pivotdesk" not in INSTALLED_APPS:
    INSTALLED_APPS += ["pivotdesk"]  # management commands: golive

# Collectstatic target; the deploy tests collect into a temp dir.
STATIC_ROOT = env.path("STATIC_ROOT", default=STATIC_ROOT)

# The router terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# On by default in production; SECURE_SSL_REDIRECT=0 for a production-like run over plain
# HTTP on localhost (cookies then drop the Secure flag too, or login would not work).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The platform probes health over plain HTTP: never redirect it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool(
    "SECURE_COOKIES", default=not DEBUG and SECURE_SSL_REDIRECT
)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True


def _origin(url):
    """scheme://host[:port] of an absolute URL, '' otherwise; a {s} subdomain becomes *."""
    parts = urlsplit(url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Images: ours, data: URIs, map tiles, photos on S3 (custom domain or bucket URL), the CDN.
_img_hosts = {_origin(MAP_TILE_URL), _origin(STATIC_HOST), _origin(MEDIA_URL)}
if AWS_STORAGE_BUCKET_NAME and not AWS_S3_CUSTOM_DOMAIN:
    if AWS_S3_ENDPOINT_URL:
        _img_hosts.add(_origin(AWS_S3_ENDPOINT_URL))
    else:
        _img_hosts |= {
            f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com",
            f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{AWS_S3_REGION_NAME}.amazonaws.com",
        }
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
# No inline script or style anywhere (the admin has none since Django 6.0): JS and CSS are
# files under /static/ (on STATIC_HOST when a CDN fronts it).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, _origin(STATIC_HOST)],
    "style-src": [CSP.SELF, _origin(STATIC_HOST)],
    # blob: for the host admin's preview of a photo before it is uploaded (object URLs made by
    # our own script from the chosen file).
    "img-src": [CSP.SELF, "data:", "blob:", *sorted(h for h in _img_hosts if h)],
    "font-src": [CSP.SELF, _origin(STATIC_HOST)],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CSP = {k: [v for v in vs if v] for k, vs in SECURE_CSP.items()}

# The beta gate (pivotdesk/gate.py): "user:password" puts the whole site behind basic auth.
BASIC_AUTH = env.str("BASIC_AUTH", default="")

# Sentry, only when a DSN is configured (pivotdesk/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_RELEASE = next(
    (
        os.environ[name]
        for name in (
            "SENTRY_RELEASE",
            "HEROKU_BUILD_COMMIT",
            "HEROKU_SLUG_COMMIT",
            "SOURCE_VERSION",
        )
        if os.environ.get(name)
    ),
    None,
)
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from pivotdesk.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# --- Being live: page cache, queue time (issue 6, docs/PERFORMANCE.md) ------------------
# Anonymous pages served whole from the cache by pivotdesk.pagecache.PageCache (wsgi.py).
PAGE_CACHE_ENABLED = env.bool("PAGE_CACHE_ENABLED", default=True)
PAGE_CACHE_TTL = env.int("PAGE_CACHE_TTL", default=3600)  # s; the content version retires pages
PAGE_CACHE_CONTROL = env.str(
    "PAGE_CACHE_CONTROL", default="public, max-age=60, s-maxage=300, stale-while-revalidate=600"
)
PAGE_CACHE_LOCK_MS = env.int("PAGE_CACHE_LOCK_MS", default=5000)  # one render at a time
PAGE_CACHE_WAIT_MS = env.int("PAGE_CACHE_WAIT_MS", default=2000)  # then render anyway
# Per-worker copies of hot pages (gunicorn.conf.py enables them; Redis pub/sub keeps them honest)
PAGE_CACHE_LOCAL_ENTRIES = env.int("PAGE_CACHE_LOCAL_ENTRIES", default=256)
PAGE_CACHE_LOCAL_TTL = env.int("PAGE_CACHE_LOCAL_TTL", default=30)  # s
# The router's X-Request-Start: a request that waited longer gets 503 + Retry-After at once.
QUEUE_TIMEOUT_MS = env.int("QUEUE_TIMEOUT_MS", default=10000)
QUEUE_RETRY_AFTER_S = env.int("QUEUE_RETRY_AFTER_S", default=5)
