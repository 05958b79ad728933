"""A deploy rehearsal: the Procfile's release and web processes, as the platform runs them.

Build (collectstatic with no service reachable), release (migrate + check --deploy) against
a fresh Postgres database, then the web process (gunicorn with gunicorn.conf.py on $PORT)
with production settings, Redis, DEBUG off. Requests come in as the router sends them:
plain HTTP with X-Forwarded-Proto.
"""

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .support import (
    BASE_DIR,
    free_port,
    postgres_url,
    production_env,
    redis_url,
    scratch_database,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

HONCHO = str(Path(sys.executable).parent / "honcho")
ROUTER = {"X-Forwarded-Proto": "https", "X-Request-Start": "0"}


@pytest.fixture
def fresh_database():
    if not postgres_url() or not redis_url():
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (CI does)")
    with scratch_database("pd_deploy_rehearsal") as url:
        yield url


def get(port: int, path: str, headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def wait_until_serving(port: int, web: subprocess.Popen, log: Path, deadline_s: float = 90):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if web.poll() is not None:
            pytest.fail(f"web process exited ({web.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(
        f"web process did not answer /healthz in {deadline_s} s:\n{log.read_text()[-3000:]}"
    )


def stop(process: subprocess.Popen):
    """Stop honcho and everything it started (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_release_then_web_serve_pages_health_and_hashed_static(
    collected_static, fresh_database, tmp_path
):
    static_root, manifest = collected_static
    empty_dotenv = tmp_path / "empty.env"
    empty_dotenv.write_text("")  # a developer's .env must not leak into the rehearsal
    port = free_port()
    env = production_env(
        DATABASE_URL=fresh_database,
        REDIS_URL=redis_url(),
        CACHE_KEY_PREFIX=f"rehearsal-{secrets.token_hex(4)}",
        STATIC_ROOT=str(static_root),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        WEB_CONCURRENCY="2",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    honcho = [HONCHO, "--no-colour", "-e", str(empty_dotenv), "-f", "Procfile", "start"]

    release = subprocess.run(
        [*honcho, "release"],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=240,
        start_new_session=True,
    )
    assert release.returncode == 0, release.stdout + release.stderr
    assert "Applying accounts.0001_initial... OK" in release.stdout
    assert "System check identified no issues" in release.stdout

    log = tmp_path / "web.log"
    with log.open("w") as out:
        web = subprocess.Popen(
            [*honcho, "-p", str(port), "web"],
            env=env,
            cwd=BASE_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(port, web, log)

        # The platform's plain-HTTP health checks are answered, not redirected.
        status, headers, body = get(port, "/healthz")
        assert (status, body) == (200, b"ok")
        assert "no-store" in headers["Cache-Control"]

        # A visitor on plain HTTP is sent to HTTPS.
        status, headers, _ = get(port, "/")
        assert status == 301
        assert headers["Location"].startswith("https://")

        # Through the router (HTTPS terminated there): the home page, hardened.
        status, headers, body = get(port, "/", ROUTER)
        assert status == 200, body[:500]
        html = body.decode()
        assert "PivotDesk" in html
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Request-ID"]

        status, headers, body = get(port, "/readyz", ROUTER)
        assert status == 200
        assert json.loads(body) == {"database": "ok", "cache": "ok"}

        # The stylesheet the page links to is the hashed file, served for a year.
        css_url = re.search(r'<link rel="stylesheet" href="(/static/dist/[^"]+)"', html)[1]
        assert css_url == f"/static/{manifest['paths']['dist/site.css']}"
        status, headers, body = get(port, css_url, ROUTER)
        assert status == 200
        assert body == (static_root / manifest["paths"]["dist/site.css"]).read_bytes()
        assert "max-age=31536000" in headers["Cache-Control"]
        assert "immutable" in headers["Cache-Control"]
    finally:
        stop(web)

    # Every request got one router-style line in the web process's log.
    output = log.read_text()
    assert re.search(r'at=info method=GET path="/" status=200 service=\d+ms', output), output
    assert re.search(r'at=info method=GET path="/healthz" status=200 ', output), output
