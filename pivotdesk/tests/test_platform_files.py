"""The files the platform reads on `git push`: Procfile, runtime.txt, .python-version, app.json."""

import json

import pytest

from .support import BASE_DIR


def procfile() -> dict[str, str]:
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_procfile_web_runs_gunicorn_with_its_config():
    assert procfile()["web"] == "gunicorn --config gunicorn.conf.py pivotdesk.wsgi:application"


def test_procfile_release_migrates_then_checks():
    release = procfile()["release"]
    steps = [step.strip() for step in release.split("&&")]
    assert steps[0] == "python manage.py migrate --noinput"
    assert "python manage.py check --deploy --fail-level ERROR" in steps


def test_runtime_txt_and_python_version_agree():
    runtime = (BASE_DIR / "runtime.txt").read_text().strip()
    pinned = (BASE_DIR / ".python-version").read_text().strip()
    assert runtime.startswith("python-")
    assert runtime.removeprefix("python-").split(".")[:2] == pinned.split(".")[:2]


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


def test_app_json_web_formation_and_python_buildpack(app_json):
    assert app_json["formation"]["web"]["quantity"] >= 1
    assert [bp["url"] for bp in app_json["buildpacks"]] == ["heroku/python"]


def test_app_json_seeds_demo_data_on_review_apps_only(app_json):
    assert app_json["environments"]["review"]["scripts"]["postdeploy"] == (
        "python manage.py seed_demo"
    )
    # A top-level postdeploy would also run when the production app is created.
    assert "postdeploy" not in app_json.get("scripts", {})
