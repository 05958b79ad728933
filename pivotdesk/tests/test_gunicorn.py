"""gunicorn.conf.py as the Procfile runs it, on a free loopback port, against the test
database and Redis: hits are served, an edit made in another process (this test) is visible
on the next request through every worker, and headers from a client that is not a trusted
proxy change nothing that is cached, for anonymous and logged-in visitors."""

import os
import re
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from pivotdesk.tests.support import free_port, stop

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FORGED = {
    "SCRIPT_NAME": "/spaces",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Prefix": "/x",
    "Forwarded": "for=203.0.113.9;proto=https;host=evil.example",
}


@pytest.fixture
def serve(postgres_only, tmp_path):
    """Start gunicorn with extra environment; yields its base URL. Stopped after the test."""
    if "redis" not in settings.CACHES["default"]["BACKEND"]:
        pytest.skip("needs Redis (REDIS_URL)")
    started = []

    def start(**extra):
        db = connection.settings_dict
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pivotdesk.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": settings.CACHES["default"]["LOCATION"],
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "MEDIA_ROOT": str(tmp_path),
            **extra,
        }
        log = tmp_path / f"gunicorn-{port}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
             "pivotdesk.wsgi:application"],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        )  # fmt: skip
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/healthz", timeout=2)
                return url
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("gunicorn did not start: " + log.read_text(errors="replace"))
                time.sleep(0.1)

    yield start
    for process in started:
        stop(process)


def same_page(a, b):
    """Equal but for the per-render CSRF token of a logged-in page's forms."""
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    return token.sub("", a) == token.sub("", b)


def get(url, **kwargs):
    response = requests.get(url, timeout=10, allow_redirects=False, **kwargs)
    return response.status_code, response.headers.get("X-Page-Cache"), response.text


def test_workers_serve_hits_and_see_an_edit_on_the_next_request(serve):
    server = serve()
    listing = ListingFactory(title="Before the edit")
    path = server + listing.get_absolute_url()
    status, cache, body = get(path)
    assert status == 200 and "Before the edit" in body
    assert {get(path)[1] for _ in range(20)} == {"hit"}  # both workers

    listing = Listing.objects.get(pk=listing.pk)
    listing.title = "After the edit"
    listing.save()  # autocommit: the bump runs now, in this process
    for _ in range(6):  # whichever worker answers
        status, cache, body = get(path)
        assert status == 200 and "After the edit" in body and "Before the edit" not in body


def logged_in_cookies():
    client = Client()
    client.force_login(UserFactory())
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def test_forwarded_headers_from_an_untrusted_client_change_no_cached_page(serve):
    server = serve(TRUSTED_PROXY_IPS="192.0.2.1")  # not this test's loopback address
    listing = ListingFactory(title="Quiet desks on Pearl")
    url = listing.get_absolute_url()
    for visitor in ({}, logged_in_cookies()):
        # First, right after a content change: whatever renders now is what gets kept.
        for path in ("/spaces/", "/", url):
            status, _cache, forged = get(server + path, headers=FORGED, cookies=visitor)
            assert status == 200, path
            status, _cache, plain = get(server + path, cookies=visitor)
            assert status == 200 and same_page(forged, plain), path
            assert "/spaces/spaces/" not in plain and "evil.example" not in plain
        home = get(server + "/", cookies=visitor)[2]
        assert f'href="{url}"' in home  # card links exactly the listing's URL
        assert "<form" in get(server + "/spaces/", cookies=visitor)[2]


def test_only_a_trusted_proxy_says_a_request_was_https(serve):
    https = {"X-Forwarded-Proto": "https"}
    trusted = serve(SECURE_SSL_REDIRECT="1", SECURE_COOKIES="0")
    untrusted = serve(SECURE_SSL_REDIRECT="1", SECURE_COOKIES="0", TRUSTED_PROXY_IPS="192.0.2.1")
    assert get(trusted + "/", headers=https)[0] == 200
    assert get(trusted + "/")[0] == 301
    assert get(untrusted + "/", headers=https)[0] == 301
