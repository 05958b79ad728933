"""pivotdesk.codeversion: a deploy, or a setting pages show, gets pages and cards of its own;
nothing that changes no page (credentials, paths, objects) splits the cache."""

import json

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.test import Client, override_settings

from accounts.tests.factories import UserFactory
from listings import cards
from listings.services import photo_create
from listings.tests.factories import ListingFactory, image_upload
from pivotdesk import pagecache
from pivotdesk.codeversion import code_version, compute_code_version
from pivotdesk.pagecache import PageCache

from .support import smtp_mailers
from .wsgi_util import CountingApp, wsgi_get


@pytest.fixture(autouse=True)
def _fresh_code_version():
    # Each "release" below works out its own; the rest of the run keeps the real one.
    pagecache._down_until, pagecache._failures = 0.0, 0
    code_version.cache_clear()
    yield
    code_version.cache_clear()


def templates_with(extra_dir):
    engine = {**settings.TEMPLATES[0]}
    engine["DIRS"] = [*engine["DIRS"], extra_dir]
    return [engine, *settings.TEMPLATES[1:]]


def test_the_same_code_and_settings_give_the_same_version():
    assert compute_code_version() == compute_code_version()
    assert len(compute_code_version()) == 16


def test_a_changed_template_is_a_new_version(tmp_path):
    (tmp_path / "page.html").write_text("<p>before</p>")
    with override_settings(TEMPLATES=templates_with(tmp_path)):
        before = compute_code_version()
        (tmp_path / "page.html").write_text("<p>after</p>")
        after = compute_code_version()
        # Tests and bytecode are not what pages are made of.
        (tmp_path / "tests").mkdir()
        (tmp_path / "tests" / "test_page.py").write_text("assert True")
        (tmp_path / "page.cpython-313.pyc").write_bytes(b"\0")
        assert compute_code_version() == after
    assert before != after


def test_new_hashed_static_names_are_a_new_version(tmp_path):
    manifest = tmp_path / "staticfiles.json"
    manifest.write_text(json.dumps({"paths": {"css/site.css": "css/site.111.css"}}))
    with override_settings(STATIC_ROOT=tmp_path):
        before = compute_code_version()
        manifest.write_text(json.dumps({"paths": {"css/site.css": "css/site.222.css"}}))
        assert compute_code_version() != before


@pytest.mark.parametrize(
    "changed",
    [
        {"STATIC_URL": "https://cdn.pivotdesk.example/static/"},
        {"SITE_URL": "https://pivotdesk.example"},
        {"SECURE_CSP": {"default-src": ["'self'"], "img-src": ["https://media.example"]}},
        {"PAGE_CACHE_CONTROL": "public, max-age=5"},
    ],
    ids=["STATIC_URL", "SITE_URL", "SECURE_CSP", "PAGE_CACHE_CONTROL"],
)
def test_a_setting_pages_show_is_a_new_version(changed):
    before = compute_code_version()
    with override_settings(**changed):
        assert compute_code_version() != before


@pytest.mark.parametrize(
    "changed",
    [
        {"SECRET_KEY": "rotated-" + "x" * 50},
        {"REDIS_URL": "redis://elsewhere:6379/0"},
        {"MAILERS": smtp_mailers(2525, timeout=5)},  # a new mail password, say
        {"MEDIA_ROOT": "/elsewhere/media"},
        {"FILE_UPLOAD_TEMP_DIR": settings.BASE_DIR / "elsewhere"},
        {"SOME_HOOK": object()},  # a repr with a memory address: differs on every dyno
    ],
    ids=["SECRET_KEY", "REDIS_URL", "MAILERS", "MEDIA_ROOT", "a Path", "an object"],
)
def test_what_changes_no_page_keeps_the_version(changed):
    before = compute_code_version()
    with override_settings(**changed):
        assert compute_code_version() == before


def test_runserver_works_it_out_again_when_a_template_changes(tmp_path):
    # `make run`: Django's reloader sends file_changed and, for a template, resets the
    # loaders instead of restarting; the next page must not come from before the edit.
    from django.utils.autoreload import file_changed

    (tmp_path / "page.html").write_text("<p>before</p>")
    with override_settings(TEMPLATES=templates_with(tmp_path)):
        before = code_version()
        (tmp_path / "page.html").write_text("<p>after</p>")
        assert code_version() == before  # worked out once per process
        results = file_changed.send(sender=None, file_path=tmp_path / "page.html")
        assert code_version() != before
    # A template change still reloads no process (Django's receiver says so); ours does
    # not ask for a restart either.
    assert [r for f, r in results if f.__module__ == "pivotdesk.codeversion"] == [None]


@pytest.mark.django_db
def test_a_page_the_last_release_cached_is_not_served_by_the_next():
    django_app = CountingApp(get_wsgi_application())
    app = PageCache(django_app)
    listing = ListingFactory(title="Sunny desks on Pearl")
    path = listing.get_absolute_url()
    first = wsgi_get(app, path)
    assert first.header("X-Page-Cache") == "miss"
    assert wsgi_get(app, path).header("X-Page-Cache") == "hit"  # the control
    assert "https://pivotdesk.example" not in first.text

    # The next release: a new SITE_URL (the same holds for new templates or hashed names).
    with override_settings(SITE_URL="https://pivotdesk.example"):
        code_version.cache_clear()
        calls = django_app.calls
        after = wsgi_get(app, path)
        assert after.header("X-Page-Cache") == "miss"
        assert django_app.calls == calls + 1
        assert f'href="https://pivotdesk.example{path}"' in after.text  # its canonical link
        assert wsgi_get(app, path).header("X-Page-Cache") == "hit"

    # The release it replaces still finds its own copy while its dynos run.
    code_version.cache_clear()
    assert wsgi_get(app, path).body == wsgi_get(app, path).body == first.body


@pytest.mark.django_db
def test_a_card_the_last_release_cached_is_not_reused_by_the_next():
    app = PageCache(get_wsgi_application())
    listing = ListingFactory(title="Sunny desks on Pearl")
    photo_create(listing=listing, image=image_upload(), caption="Main room")
    client = Client()
    client.force_login(UserFactory())
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    page = wsgi_get(app, "/", cookies=cookies)  # logged in: no page cache, cached cards
    version = page.environ["pivotdesk.content_version"]
    listing.refresh_from_db()
    key = cards.card_key(listing, version=version)
    # As the last release's card template wrote it:
    cache.set(key, cache.get(key).replace("Sunny desks on Pearl", "Card of the last release"))
    # The control: the same release reuses it.
    assert "Card of the last release" in wsgi_get(app, "/", cookies=cookies).text

    with override_settings(SITE_URL="https://pivotdesk.example"):
        code_version.cache_clear()
        text = wsgi_get(app, "/", cookies=cookies).text
    assert "Sunny desks on Pearl" in text and "Card of the last release" not in text
