"""PivotDesk settings: one module, read from the environment (README.md, "Configuration").
Importing it never touches the database or Redis: ``collectstatic`` runs at build time."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

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
    # django.contrib.admin with /admin/ for operators (superusers) only: hosts are staff for
    # /host/ and must not reach /admin/ (accounts.admin_site.OperatorAdminSite).
    "accounts.apps.OperatorAdminConfig",
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
    "teams",  # team accounts: bookings builds on them
    "bookings",
    "waitlist",  # waitlists on full listings, offers of freed desks (held under the lock)
    "payments",  # rent, deposits, receipts, host ledgers (Stripe): builds on bookings
    "pages",  # terms, privacy, contact, policies: edited in /admin/
    "demo",  # seed_demo: builds on listings and bookings
    "pivotdesk",  # golive, template tags
    "axes",  # login throttling
    "django_tasks_db",  # background work (see Tasks below)
    "crontask",
    "jobs",
    "cdn",  # purges a CDN in front (docs/CDN.md)
    "tours",  # tour hours, tours and tour afternoons (docs/TOURS.md)
    "alerts",  # saved searches and their alerts (docs/ALERTS.md)
    "calendars",  # host calendar feeds
    "questions",  # a guest's questions to a host before booking: builds on listings
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pivotdesk.middleware_cache.TextGZipMiddleware",  # after WhiteNoise: pages, not files
    "cdn.middleware.SurrogateKeyMiddleware",  # sees the Cache-Control that goes out
    "pivotdesk.middleware_cache.CacheHeadersMiddleware",  # before SessionMiddleware
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Database down or too slow: a friendly 503 with Retry-After, never a 500.
    "pivotdesk.middleware.dberrors.DatabaseErrorMiddleware",
    # Axes turns a refused login into its lockout page; it must see every login view's response.
    "axes.middleware.AxesMiddleware",
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
# SQLite on a laptop; DATABASE_URL (Postgres) elsewhere, with timeouts well under 30 s.
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
# Local memory on a laptop; REDIS_URL in CI and production. A Redis outage degrades, never 500s.
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.25)
if REDIS_URL:
    _redis_pool_kwargs = {"health_check_interval": 30}
    if REDIS_URL.startswith("rediss://"):
        # Heroku Redis presents a self-signed certificate.
        _redis_pool_kwargs["ssl_cert_reqs"] = None
    _redis = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="pd"),
        "TIMEOUT": 300,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "CONNECTION_POOL_KWARGS": _redis_pool_kwargs,
            "IGNORE_EXCEPTIONS": True,
        },
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    # The page cache's alias: errors raise, so its breaker sees them.
    _raising = {**_redis["OPTIONS"], "IGNORE_EXCEPTIONS": False}
    CACHES = {"default": _redis, "pages": {**_redis, "OPTIONS": _raising}}
else:
    _locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pd"}
    CACHES = {"default": {**_locmem, "TIMEOUT": 300}, "pages": {**_locmem, "TIMEOUT": 300}}

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
# One language: Django's advice is then to turn translation off (it cost ~4 % of a render).
USE_I18N = False
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_HOST = env.str("STATIC_HOST", default="").rstrip("/")
STATIC_URL = f"{STATIC_HOST}/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoiseMiddleware serves them: hashed names immutable, others WhiteNoise's short max-age.

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
    # An upload talks to S3 inside a request the router ends at 30 s: boto3's defaults won't do.
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
        # Emails are sent by the worker (jobs), never inside a request: a hanging mail
        # server holds one job this long, then the job is retried.
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

# --- Accounts: login throttling (django-axes) --------------------------------------------
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
# trust from the right: 1 = the router alone, 2 = a CDN in front of it, 0 = REMOTE_ADDR only
# (docs/DEPLOY.md).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
# Sign-up and password reset: posts per client address and per email address ("N/s|m|h|d",
# django-ratelimit's rates); over the budget the answer is 429 with Retry-After.
ACCOUNT_RATE_PER_IP = env.str("ACCOUNT_RATE_PER_IP", default="20/h")
ACCOUNT_RATE_PER_EMAIL = env.str("ACCOUNT_RATE_PER_EMAIL", default="5/h")
# Questions to hosts and replies in their conversations: messages per member, asks and
# replies counted together ("N/s|m|h|d"); over it the answer is 429 with Retry-After.
QUESTIONS_RATE = env.str("QUESTIONS_RATE", default="20/h")
# Per member: team invites (each emails an address typed in; decision 0235) and tour
# bookings and moves (each emails the host; a cancellation is never held back; 0236).
TEAM_INVITE_RATE = env.str("TEAM_INVITE_RATE", default="30/h")
TOUR_CHANGE_RATE = env.str("TOUR_CHANGE_RATE", default="20/h")
# A rate the cache cannot count (Redis down) lets the request through (decision 0190).
RATELIMIT_FAIL_OPEN = env.bool("RATELIMIT_FAIL_OPEN", default=True)
SIGNIN_LINK_MAX_AGE = env.int("SIGNIN_LINK_MAX_AGE", default=3 * 24 * 3600)
# How long the link that confirms a new email address works (sent to that address).
EMAIL_CHANGE_MAX_AGE = env.int("EMAIL_CHANGE_MAX_AGE", default=3 * 24 * 3600)

# --- Going live (`python manage.py golive` checks all of it) ------------------------------
# The router's X-Forwarded-Proto sets the WSGI scheme in gunicorn, only from the proxies in
# TRUSTED_PROXY_IPS (gunicorn.conf.py): a client cannot choose the scheme with the header.
SECURE_PROXY_SSL_HEADER = None
# SECURE_SSL_REDIRECT=0 for a production-like run over plain HTTP (cookies lose Secure too).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The platform probes health over plain HTTP: never redirect it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool(
    "SECURE_COOKIES", default=not DEBUG and SECURE_SSL_REDIRECT
)
# Django's defaults stand: X-Frame-Options DENY, nosniff, same-origin referrer and COOP.


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
# No inline script or style anywhere: JS and CSS are files under /static/ (or STATIC_HOST).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, _origin(STATIC_HOST)],
    "style-src": [CSP.SELF, _origin(STATIC_HOST)],
    # blob: the host admin's preview of a photo before it is uploaded.
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
_RELEASE_NAMES = ("SENTRY_RELEASE", "HEROKU_BUILD_COMMIT", "HEROKU_SLUG_COMMIT", "SOURCE_VERSION")
SENTRY_RELEASE = next((os.environ[n] for n in _RELEASE_NAMES if os.environ.get(n)), None)
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from pivotdesk.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# --- Being live: page cache, queue time (docs/PERFORMANCE.md) ---------------------------
# Off with DEBUG on (`make run`): a template edit shows on the next request.
PAGE_CACHE_ENABLED = env.bool("PAGE_CACHE_ENABLED", default=not DEBUG)
# Views whose pages are kept, and the query parameters each reads (``name*``: repeatable).
_SEARCH_PARAMS = ("city", "neighborhood", "type", "desks", "min_price", "max_price", "min_rating")
PAGE_CACHE_PAGES = {
    "listings:home": (),
    "listings:search": (*_SEARCH_PARAMS, "move_in", "amenities*", "q", "sort", "page"),
    "listings:city": (),
    "listings:detail": ("desks", "move_in", "reviews"),
    "sitemap": (),
    "sitemap-section": ("p",),
    "robots": (),
    **{f"pages:{slug}": () for slug in ("terms", "privacy", "contact", "cancellation-and-notice")},
}
# The platform's release id (pivotdesk.pagecache.release_id falls back to the manifest).
RELEASE_ID = env.str("HEROKU_RELEASE_VERSION", default="") or env.str("SOURCE_VERSION", default="")
PAGE_CACHE_TTL = env.int("PAGE_CACHE_TTL", default=3600)  # s; the content version retires pages
_SHARED = "public, max-age=60, s-maxage=300, stale-while-revalidate=600"
PAGE_CACHE_CONTROL = env.str("PAGE_CACHE_CONTROL", default=_SHARED)
PAGE_CACHE_LOCK_MS = env.int("PAGE_CACHE_LOCK_MS", default=5000)  # one render at a time
PAGE_CACHE_WAIT_MS = env.int("PAGE_CACHE_WAIT_MS", default=2000)  # then render anyway
PAGE_CACHE_RETRY_AFTER_ERROR_S = 1.0  # after 3 Redis errors in a row, skip it this long
# The router's X-Request-Start: a request that waited longer gets 503 + Retry-After at once.
QUEUE_TIMEOUT_MS = env.int("QUEUE_TIMEOUT_MS", default=10000)
QUEUE_RETRY_AFTER_S = env.int("QUEUE_RETRY_AFTER_S", default=5)

# --- A CDN in front (docs/CDN.md) --------------------------------------------------------
# Who is told when public pages change: "" (nobody; s-maxage bounds staleness), "varnish"
# (PURGE by tag to each of CDN_PURGE_URLS) or "cloudfront" (an invalidation by path).
CDN_PURGE = env.str("CDN_PURGE", default="")
if CDN_PURGE not in ("", "varnish", "cloudfront"):
    raise ImproperlyConfigured(f"CDN_PURGE={CDN_PURGE!r}: use '', 'varnish' or 'cloudfront'")
CDN_PURGE_URLS = env.list("CDN_PURGE_URLS", default=[])
CDN_CLOUDFRONT_DISTRIBUTION_ID = env.str("CDN_CLOUDFRONT_DISTRIBUTION_ID", default="")

# --- Tasks: background work (docs/OPERATIONS.md "Background work") ---------------------
# Django's Tasks framework on the database (django-tasks-db): a job is a row written in the
# caller's transaction, so it exists only if that commits. `worker:` runs them
# (`manage.py db_worker`), `clock:` enqueues the periodic ones (`manage.py crontask`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A failed job runs again after TASKS_RETRY_DELAY_S, then 4× longer each time (capped at
# TASKS_RETRY_DELAY_MAX_S), TASKS_MAX_ATTEMPTS in all; then it stays failed in /admin/.
TASKS_MAX_ATTEMPTS = env.int("TASKS_MAX_ATTEMPTS", default=8)
TASKS_RETRY_DELAY_S = env.float("TASKS_RETRY_DELAY_S", default=15)
TASKS_RETRY_DELAY_MAX_S = env.float("TASKS_RETRY_DELAY_MAX_S", default=6 * 3600)
# A job still "running" this long after it started lost its worker (a killed dyno): it is
# made ready again. Well above the longest job (an email waits EMAIL_TIMEOUT at most).
TASKS_ABANDONED_AFTER_S = env.int("TASKS_ABANDONED_AFTER_S", default=300)
# The clock's scheduler logs every run of its lock keeper at INFO (every 5 s).
LOGGING["loggers"]["apscheduler.executors"] = {"level": "WARNING"}

# --- Team invites, alerts and calendar feeds ---------------------------------------------
# How long a team invite link works, in seconds, from when its email is made.
TEAM_INVITE_MAX_AGE = env.int("TEAM_INVITE_MAX_AGE", default=7 * 24 * 60 * 60)
# How long an alert email's unsubscribe link works (seconds); an older one says to log in.
ALERTS_UNSUBSCRIBE_MAX_AGE = env.int("ALERTS_UNSUBSCRIBE_MAX_AGE", default=180 * 24 * 3600)
# How long a host's calendar feed stays in the cache at most (s); any change retires it sooner.
CALENDAR_FEED_CACHE_SECONDS = env.int("CALENDAR_FEED_CACHE_SECONDS", default=3600)

# --- Payments: rent and deposits through Stripe (docs/OPERATIONS.md "Payments") -----------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# localstripe's address in tests and `make run`; unset: Stripe itself.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_TIMEOUT_S = env.float("STRIPE_TIMEOUT_S", default=10)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# The longest a web request may wait on Stripe, all its calls counted (the router ends it at
# 30 s): its calls get fewer retries and a shorter timeout to fit (payments.stripe_api).
STRIPE_REQUEST_BUDGET_S = env.float("STRIPE_REQUEST_BUDGET_S", default=20)
PLATFORM_FEE_PERCENT = env.int("PLATFORM_FEE_PERCENT", default=10)
