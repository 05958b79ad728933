"""Production settings by environment: check --deploy, HTTPS behind the router, the CSP."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings

from accounts.tests.factories import UserFactory

from .support import BASE_DIR, manage, production_env, run_python

pytestmark = pytest.mark.slow

CSP_PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'csp': settings.SECURE_CSP, 'middleware': settings.MIDDLEWARE,"
    " 'redis': settings.CACHES['default'].get('OPTIONS', {}).get('CONNECTION_POOL_KWARGS'),"
    " 'redirect': settings.SECURE_SSL_REDIRECT, 'cookie_secure': settings.SESSION_COOKIE_SECURE}))"
)


def probe(**env):
    result = run_python(["-c", CSP_PROBE], env=production_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_is_clean_under_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_https_redirect_is_switched_off():
    # The switch exists for a production-like run over plain HTTP; it is not for production.
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(SECURE_SSL_REDIRECT="0")
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_https_redirect_on_by_default_and_switchable_for_local_http():
    assert probe()["redirect"] is True
    assert probe()["cookie_secure"] is True
    local = probe(SECURE_SSL_REDIRECT="0")
    assert local["redirect"] is False
    assert local["cookie_secure"] is False  # or login over http://localhost would not work


def test_csp_allows_map_tiles_photos_and_cdn_hosts():
    got = probe(
        MAP_TILE_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png",
        AWS_STORAGE_BUCKET_NAME="pivotdesk-media",
        AWS_S3_CUSTOM_DOMAIN="media.pivotdesk.example",
        STATIC_HOST="https://cdn.pivotdesk.example",
    )
    csp = got["csp"]
    assert csp["img-src"] == [
        "'self'",
        "data:",
        "blob:",
        "https://*.tile.example.org",
        "https://cdn.pivotdesk.example",
        "https://media.pivotdesk.example",
    ]
    assert csp["script-src"] == ["'self'", "https://cdn.pivotdesk.example"]
    assert csp["style-src"] == ["'self'", "https://cdn.pivotdesk.example"]
    assert got["middleware"].index("django.middleware.csp.ContentSecurityPolicyMiddleware") == 1


def test_csp_allows_bucket_url_without_custom_domain():
    csp = probe(AWS_STORAGE_BUCKET_NAME="pivotdesk-media", AWS_S3_REGION_NAME="us-west-2")["csp"]
    assert "https://pivotdesk-media.s3.us-west-2.amazonaws.com" in csp["img-src"]


def test_rediss_url_accepts_the_platforms_self_signed_certificate():
    got = probe(REDIS_URL="rediss://:secret@127.0.0.1:6380/0")
    assert got["redis"]["ssl_cert_reqs"] is None
    assert "ssl_cert_reqs" not in probe(REDIS_URL="redis://127.0.0.1:6379/0")["redis"]


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_pages_carry_a_policy_without_inline_script(client):
    response = client.get("/")
    assert response.status_code == 200
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert "https://tile.openstreetmap.org" in policy["img-src"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def _same_origin(url: str) -> bool:
    return url.startswith(settings.STATIC_URL) or (url.startswith("/") and not url.startswith("//"))


class _InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block."""

    DATA_TYPES = {"application/json", "application/ld+json", "importmap"}

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler attribute")
            if name == "style":
                self.problems.append(f"<{tag} style=...> inline style attribute")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            src = attrs.get("src") or ""
            if not src and attrs.get("type") not in self.DATA_TYPES:
                self._in_inline_script = True
            elif src and not _same_origin(src):
                self.problems.append(f"<script src={src}> from another origin")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]}")


def inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.problems


def test_the_inline_code_detector_finds_what_the_policy_blocks():
    html = '<div style="x"><script>alert(1)</script><a onclick="x()">a</a></div><style>p{}</style>'
    assert len(inline_code(html)) == 4
    assert inline_code('<script src="/static/js/map.js"></script>') == []
    assert len(inline_code('<script src="https://cdn.example.com/x.js"></script>')) == 1


def test_project_templates_have_no_inline_script_or_style():
    found = {}
    template_dirs = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    for template in sorted(t for d in template_dirs for t in d.rglob("*.html")):
        if "email" in template.relative_to(BASE_DIR).parts:
            continue  # mail clients, not our CSP, read these (and want inline styles)
        # Template tags may sit inside attributes; the HTML parser copes with them.
        text = re.sub(r"{%.*?%}|{{.*?}}", "", template.read_text())
        if problems := inline_code(text):
            found[str(template.relative_to(BASE_DIR))] = problems
    assert found == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/admin/login/", "/admin/", "/admin/auth/group/", "/admin/auth/group/add/"]
)
def test_admin_runs_under_the_policy(client, path):
    if path != "/admin/login/":
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(path)
    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
    html = response.content.decode()
    assert "<script" in html or path == "/admin/login/"
    assert inline_code(html) == []
