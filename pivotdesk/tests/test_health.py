"""/healthz and /readyz: what the platform and an operator poll."""

import json
import shutil
import subprocess

import pytest

from .support import closed_port, postgres_url, production_env, run_python

READYZ_SCRIPT = """
import json
from pivotdesk.wsgi import application
from pivotdesk.tests.support import call_wsgi
r = call_wsgi(application, "/readyz", host="pivotdesk.example")
print(json.dumps({"status": r.status_code, "body": r.text, "cc": r.headers["cache-control"]}))
"""


def readyz_in_production(**env):
    """GET /readyz from a production-configured process (HTTP, as the platform probes)."""
    result = run_python(["-c", READYZ_SCRIPT], env=production_env(**env), timeout=60)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])
    return got["status"], json.loads(got["body"]), got["cc"]


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_database_and_cache_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}
    assert "no-store" in response.headers["Cache-Control"]


def test_health_checks_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


@pytest.mark.django_db
def test_health_checks_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # read when the client builds its middleware
    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.slow
def test_readyz_is_ok_in_production_over_plain_http(tmp_path):
    database = postgres_url() or f"sqlite:///{tmp_path / 'ready.sqlite3'}"
    status, body, cache_control = readyz_in_production(DATABASE_URL=database)
    assert (status, body) == (200, {"database": "ok", "cache": "ok"})
    assert "no-store" in cache_control


@pytest.mark.slow
def test_readyz_names_the_cache_when_redis_is_down(tmp_path):
    database = postgres_url() or f"sqlite:///{tmp_path / 'ready.sqlite3'}"
    status, body, _ = readyz_in_production(
        DATABASE_URL=database, REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0"
    )
    assert (status, body) == (503, {"database": "ok", "cache": "unavailable"})


@pytest.mark.slow
def test_readyz_names_the_database_when_postgres_is_down():
    status, body, _ = readyz_in_production(
        DATABASE_URL=f"postgres://pivotdesk@127.0.0.1:{closed_port()}/pivotdesk"
    )
    assert (status, body) == (503, {"database": "unavailable", "cache": "ok"})


@pytest.fixture
def tls_redis(tmp_path):
    """A Redis that only speaks TLS, with a self-signed certificate like the platform's."""
    if not (shutil.which("redis-server") and shutil.which("openssl")):
        pytest.skip("needs redis-server and openssl")
    cert, key = tmp_path / "redis.crt", tmp_path / "redis.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=redis.internal", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = closed_port()
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(cert)]
        + ["--tls-key-file", str(key), "--tls-auth-clients", "no", "--save", ""]
        + ["--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ping = ["redis-cli", "-p", str(port), "--tls", "--insecure", "ping"]
        for _ in range(50):
            if server.poll() is not None:
                pytest.skip(f"this redis-server has no TLS: {server.stdout.read()[-300:]}")
            done = subprocess.run(ping, capture_output=True, text=True, timeout=5)
            if done.stdout.strip() == "PONG":
                break
            subprocess.run(["sleep", "0.1"], check=True)
        else:
            pytest.fail("TLS redis did not answer")
        yield f"rediss://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_readyz_works_with_rediss_and_a_self_signed_certificate(tmp_path, tls_redis):
    status, body, _ = readyz_in_production(
        DATABASE_URL=f"sqlite:///{tmp_path / 'ready.sqlite3'}", REDIS_URL=tls_redis
    )
    assert (status, body) == (200, {"database": "ok", "cache": "ok"})
