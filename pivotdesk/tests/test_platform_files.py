"""The files the platform reads on `git push`: Procfile, runtime.txt, .python-version, app.json."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from .support import BASE_DIR, free_port, manage, production_env

BIN = Path(sys.executable).parent


def run_honcho(procfile: str, *args: str, env: dict[str, str], **kwargs):
    return subprocess.Popen(
        [str(BIN / "honcho"), "--no-colour", "-f", procfile, "start", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def test_honcho_checks_both_procfiles():
    for procfile in ("Procfile", "Procfile.dev"):
        result = subprocess.run(
            [str(BIN / "honcho"), "-f", procfile, "check"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("procfile", ["Procfile", "Procfile.dev"])
def test_honcho_starts_the_web_the_worker_and_the_clock(procfile, tmp_path):
    """What the platform (Procfile) and `make run` (Procfile.dev) start: the release step
    migrates, then the web answers, the worker takes jobs and the clock schedules them."""
    port = free_port()
    env = production_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        WEB_CONCURRENCY="2",
        PATH=f"{BIN}:{os.environ['PATH']}",
        **({"DEBUG": "1"} if procfile == "Procfile.dev" else {}),
    )
    if procfile == "Procfile":
        release = run_honcho(procfile, "release", env=env)
        output = release.communicate(timeout=120)[0]
        assert release.returncode == 0, output
        assert "Applying jobs.0001_initial... OK" in output
    else:  # `make run` migrates before honcho
        assert manage("migrate", "--noinput", env=env).returncode == 0

    lines: list[str] = []
    honcho = run_honcho(procfile, "web", "worker", "clock", "-p", str(port), env=env)
    reader = threading.Thread(target=lambda: lines.extend(honcho.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        answered = False
        while time.monotonic() < deadline and not answered:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    answered = r.status == 200
            except OSError:
                time.sleep(0.2)
        wanted = {"worker.1": "Starting worker", "clock.1": "Starting scheduler"}

        def started(name: str) -> bool:
            return any(name in line and wanted[name] in line for line in lines)

        while time.monotonic() < deadline and not all(map(started, wanted)):
            time.sleep(0.2)
        assert answered, "".join(lines)
        assert all(map(started, wanted)), "".join(lines)
    finally:
        honcho.send_signal(signal.SIGTERM)
        honcho.wait(timeout=30)
        reader.join(timeout=10)


def test_runtime_txt_and_python_version_agree():
    # runtime.txt (deprecated, but read first by the buildpack when present) and
    # .python-version name the same major version, and no patch release: each build then
    # takes the latest 3.13.x, security fixes included (Heroku's advice).
    runtime = (BASE_DIR / "runtime.txt").read_text().strip()
    pinned = (BASE_DIR / ".python-version").read_text().strip()
    assert runtime == f"python-{pinned}"
    assert re.fullmatch(r"3\.1[2-9]", pinned), pinned


@pytest.fixture(scope="module")
def app_json():
    return json.loads((BASE_DIR / "app.json").read_text())


def test_app_json_provisions_postgres_and_redis(app_json):
    plans = [addon["plan"] if isinstance(addon, dict) else addon for addon in app_json["addons"]]
    assert any(plan.startswith("heroku-postgresql") for plan in plans)
    assert any(plan.startswith("heroku-redis") for plan in plans)


def test_app_json_env_generates_secret_and_lists_production_config(app_json):
    env = app_json["env"]
    assert env["SECRET_KEY"]["generator"] == "secret"
    for name in (
        "ALLOWED_HOSTS",
        "WEB_CONCURRENCY",
        "SENTRY_DSN",
        "SITE_URL",
        "BASIC_AUTH",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_STORAGE_BUCKET_NAME",
    ):
        assert name in env, name
        assert env[name]["description"]
    assert int(env["WEB_CONCURRENCY"]["value"]) >= 2
    assert env["TRUSTED_PROXY_IPS"]["value"] and "*" not in env["TRUSTED_PROXY_IPS"]["value"]


def test_app_json_formation_runs_web_worker_and_one_clock(app_json):
    for formation in (app_json["formation"], app_json["environments"]["review"]["formation"]):
        assert formation["web"]["quantity"] >= 1
        assert formation["worker"]["quantity"] >= 1
        assert formation["clock"]["quantity"] == 1  # two clocks would enqueue twice


def test_app_json_builds_the_bundles_before_python_collects_them(app_json):
    # The Node.js buildpack runs package.json's "build" (esbuild: static/dist/); the Python
    # buildpack after it runs collectstatic, which must find the bundles there.
    assert [bp["url"] for bp in app_json["buildpacks"]] == ["heroku/nodejs", "heroku/python"]
    package = json.loads((BASE_DIR / "package.json").read_text())
    assert "static/dist" in package["scripts"]["build"]
    assert package["engines"]["node"]
    assert "esbuild" in package["devDependencies"]


def test_app_json_seeds_demo_data_on_review_apps_only(app_json):
    assert app_json["environments"]["review"]["scripts"]["postdeploy"] == (
        "python manage.py seed_demo"
    )
    # A top-level postdeploy would also run when the production app is created.
    assert "postdeploy" not in app_json.get("scripts", {})


@pytest.mark.parametrize("given", ["old", "missing", "this"])
def test_makefile_checks_the_python_it_is_given(tmp_path, given):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    old = tmp_path / "python3.11"
    old.write_text("#!/bin/sh\nexit 1\n")  # answers "no" to the version check, as 3.11 does
    old.chmod(0o755)
    python = {"old": str(old), "missing": str(tmp_path / "nope"), "this": sys.executable}[given]
    result = subprocess.run(
        ["make", "--no-print-directory", "python", f"PYTHON={python}"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if given == "this":
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert "needs Python 3.12 or newer" in result.stderr


def _pinned() -> dict[str, str]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (BASE_DIR / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            pins[canonicalize_name(requirement.name)] = str(requirement.specifier)
    return pins


def test_requirements_pin_everything_the_runtime_packages_pull_in():
    """A platform build installs requirements.txt alone: a dependency left unpinned would be
    resolved there, maybe to a version CI never ran."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = _pinned()
    assert all(spec.startswith("==") for spec in pins.values()), pins
    unpinned = set()
    for name in pins:
        for raw in requires(name) or []:
            dependency = Requirement(raw)
            # Extras the project does not ask for are not installed (markers name them).
            if dependency.marker and not dependency.marker.evaluate({"extra": ""}):
                continue
            if canonicalize_name(dependency.name) not in pins:
                unpinned.add(f"{dependency.name} (for {name})")
    assert not unpinned, sorted(unpinned)
