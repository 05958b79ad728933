"""gunicorn.conf.py as the Procfile runs it, on a free loopback port, against the test
database: hits come from the workers' own copies, and an edit made in another process (this
test) is visible on the very next request through every worker."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings
from django.db import connection

from listings.models import Listing
from listings.tests.factories import ListingFactory
from pivotdesk import pagecache
from pivotdesk.tests.support import stop

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status, response.headers.get("X-Page-Cache"), response.read().decode()


@pytest.fixture
def server(postgres_only, tmp_path):
    if not isinstance(pagecache.get_store(), pagecache.RedisStore):
        pytest.skip("needs Redis (REDIS_URL)")
    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pivotdesk.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.CACHES["default"]["LOCATION"],
        "PORT": str(port),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESSLOG": "/dev/null",
        "MEDIA_ROOT": str(tmp_path),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "pivotdesk.wsgi:application",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.err").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(url + "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log = (tmp_path / "gunicorn.err").read_text(errors="replace")
                    pytest.fail("gunicorn did not start: " + log[-2000:])
                time.sleep(0.1)
        yield url
    finally:
        stop(process)


def test_workers_serve_hits_and_see_an_edit_on_the_next_request(server):
    listing = ListingFactory(title="Before the edit")
    path = server + listing.get_absolute_url()
    status, cache, body = get(path)
    assert status == 200 and "Before the edit" in body
    kinds = {get(path)[1] for _ in range(20)}  # both workers, from Redis then from memory
    assert kinds == {"hit"}

    listing = Listing.objects.get(pk=listing.pk)
    listing.title = "After the edit"
    listing.save()  # autocommit: the bump runs now, in this process
    for _ in range(6):  # whichever worker answers
        status, cache, body = get(path)
        assert status == 200 and "After the edit" in body and "Before the edit" not in body


def test_workers_fork_from_a_master_that_compiled_the_templates(server, tmp_path):
    assert get(server + "/healthz")[0] == 200
    log = (tmp_path / "gunicorn.err").read_text(errors="replace")
    warmups = [line for line in log.splitlines() if "warm-up in" in line]
    # Once, in the master before it forked the two workers (pivotdesk/warmup.py).
    assert len(warmups) == 1, log[-3000:]
    assert "'templates': " in warmups[0] and "'resolvers': " in warmups[0]
