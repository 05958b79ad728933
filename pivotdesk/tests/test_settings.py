"""Settings come from the environment; importing them touches no service."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "db = settings.DATABASES['default']; c = settings.CACHES['default'];"
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']),"
    " 'options': db.get('OPTIONS', {}), 'cache': c['BACKEND'],"
    " 'storage': settings.STORAGES['default']['BACKEND'],"
    " 'mailer': settings.MAILERS['default'],"
    " 'debug': settings.DEBUG}))"
)


def _settings_with(*python_options, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "AWS_STORAGE_BUCKET_NAME",
            "EMAIL_URL",
            "DEBUG",
            "SECRET_KEY",
        }
    }
    clean.update(DJANGO_SETTINGS_MODULE="pivotdesk.settings.base", **env)
    result = subprocess.run(
        [sys.executable, *python_options, "-c", PROBE],
        env=clean,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    return result


def test_embedded_defaults_without_any_service():
    result = _settings_with(SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["engine"] == "django.db.backends.sqlite3"
    assert got["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert got["storage"] == "django.core.files.storage.FileSystemStorage"
    assert got["mailer"] == {
        "BACKEND": "django.core.mail.backends.console.EmailBackend",
        "OPTIONS": {},
    }
    assert got["debug"] is False


def test_services_from_environment_urls_without_connecting():
    # Port 9 answers nothing: settings import must not try to connect.
    result = _settings_with(
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://u@127.0.0.1:9/pd",
        REDIS_URL="redis://127.0.0.1:9/0",
        AWS_STORAGE_BUCKET_NAME="pivotdesk-media",
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["engine"] == "django.db.backends.postgresql"
    assert got["name"] == "pd"
    assert got["options"]["connect_timeout"] <= 5
    assert "statement_timeout" in got["options"]["options"]
    assert got["cache"] == "django_redis.cache.RedisCache"
    assert got["storage"] == "storages.backends.s3.S3Storage"


def test_debug_off_without_secret_key_fails_clearly():
    result = _settings_with()
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_on_runs_without_secret_key():
    result = _settings_with(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is True


def test_smtp_from_email_url_has_a_short_timeout():
    result = _settings_with(SECRET_KEY="x" * 50, EMAIL_URL="smtp://user:pw@127.0.0.1:9")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["mailer"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert got["mailer"]["OPTIONS"] == {
        "host": "127.0.0.1",
        "port": 9,
        "username": "user",
        "password": "pw",
        "use_tls": False,
        "use_ssl": False,
        "timeout": 5,
    }


def test_mail_settings_are_mailers_not_the_deprecated_email_settings():
    """Django 6.1 deprecates EMAIL_BACKEND, EMAIL_HOST, … (a warning at every start, an error
    in Django 2028): the settings load with that warning turned into an error."""
    for url in ["", "smtp+tls://user:pw@127.0.0.1:9"]:
        result = _settings_with(
            "-W",
            "error::PendingDeprecationWarning",
            SECRET_KEY="x" * 50,
            EMAIL_URL=url,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["mailer"]["BACKEND"].startswith("django.core.mail")
