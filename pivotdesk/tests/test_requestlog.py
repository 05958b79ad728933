"""The request log line: one per request on stdout, like the router's."""

import io
import re
import time

import pytest

from accounts.tests.factories import UserFactory
from pivotdesk.requestlog import RequestLog
from pivotdesk.wsgi import application

from .support import call_wsgi

LINE = re.compile(
    r"at=(?P<level>info|error) method=(?P<method>\S+) "
    r'path="(?P<path>(?:[^"\\]|\\.)*)" status=(?P<status>\d{3}) '
    r"service=(?P<service>\d+)ms queue=(?P<queue>\d+ms|-) bytes=(?P<bytes>\d+) "
    r"(?:cache=(?P<cache>hit|stale|miss|bypass) )?request_id=(?P<request_id>\S+)"
)


def log_lines(capsys) -> list[re.Match]:
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("at=")]
    return [LINE.fullmatch(line) for line in lines]


def test_one_line_per_request_with_router_fields(wsgi_db, settings, capsys):
    settings.BASIC_AUTH = ""
    sent_ms = int(time.time() * 1000) - 1500
    response = call_wsgi(
        application,
        "/",
        headers={"X-Request-Start": str(sent_ms), "X-Request-ID": "5f0c8b2e-router-id"},
    )
    assert response.status_code == 200
    [line] = log_lines(capsys)
    assert line, "log line does not match the router's format"
    assert line["level"] == "info"
    assert line["method"] == "GET"
    assert line["path"] == "/"
    assert line["status"] == "200"
    assert int(line["bytes"]) == len(response.body)
    assert line["request_id"] == "5f0c8b2e-router-id"
    assert response.headers["x-request-id"] == "5f0c8b2e-router-id"
    # The request waited 1.5 s before reaching us (plus this test's own run time; the page
    # cache's queue layer may round the other way by a millisecond).
    assert 1499 <= int(line["queue"].removesuffix("ms")) < 60_000


def test_the_line_says_how_the_page_cache_answered(wsgi_db, settings, capsys, client):
    # Renders during a spike are the misses: an operator counts them from the log.
    settings.BASIC_AUTH = ""
    call_wsgi(application, "/")
    call_wsgi(application, "/")
    client.force_login(UserFactory())
    call_wsgi(
        application, "/", headers={"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    )
    call_wsgi(application, "/healthz")
    assert [line["cache"] for line in log_lines(capsys)] == ["miss", "hit", "bypass", None]


def test_gate_refusals_are_logged_too(wsgi_db, settings, capsys):
    settings.BASIC_AUTH = "beta:secret"
    call_wsgi(application, "/spaces/boulder/")
    [line] = log_lines(capsys)
    assert line["status"] == "401"
    assert line["path"] == "/spaces/boulder/"
    assert line["queue"] == "-"  # no X-Request-Start: nobody knows


@pytest.mark.parametrize("given", ["", "short", "a b c d e f g h", 'x" at=error status=200'])
def test_a_missing_or_unsafe_request_id_is_replaced(wsgi_db, settings, capsys, given):
    settings.BASIC_AUTH = ""
    response = call_wsgi(application, "/healthz", headers={"X-Request-ID": given})
    [line] = log_lines(capsys)
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert response.headers["x-request-id"] == line["request_id"]


def test_requests_without_an_id_each_get_their_own(wsgi_db, settings, capsys):
    settings.BASIC_AUTH = ""
    for _ in range(3):
        call_wsgi(application, "/healthz")
    ids = [line["request_id"] for line in log_lines(capsys)]
    assert len(set(ids)) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in ids)


def _app(status="200 OK", body=(b"hello", b" world")):
    def app(environ, start_response):
        start_response(status, [("Content-Type", "text/plain")])
        return list(body)

    return app


def test_a_password_reset_token_is_masked_in_the_line(wsgi_db, settings, capsys):
    settings.BASIC_AUTH = ""
    token = "cdz8k3-0f2b1c9e8d7a6b5c4d3e2f1a0b9c8d7e"
    response = call_wsgi(application, f"/accounts/password-reset/MTIzNA/{token}/")
    assert response.status_code in (200, 302)
    [line] = log_lines(capsys)
    assert line["path"] == "/accounts/password-reset/***/***/"
    assert token not in capsys.readouterr().out


def test_a_token_under_a_script_prefix_is_masked_too():
    out = io.StringIO()
    app = RequestLog(_app(), stream=out)
    environ_path = "/accounts/password-reset/MTIzNA/cdz8k3-0f2b1c9e8d7a6b5c4d3e/"
    call_wsgi(app, environ_path, script_name="/pd")
    line = LINE.fullmatch(out.getvalue().strip())
    assert line["path"] == "/pd/accounts/password-reset/***/***/"


def test_paths_without_secrets_are_written_as_they_are(wsgi_db, settings, capsys):
    settings.BASIC_AUTH = ""
    call_wsgi(application, "/spaces/boulder/no-such-space/")
    [line] = log_lines(capsys)
    assert line["path"] == "/spaces/boulder/no-such-space/"


@pytest.mark.parametrize(
    "header, expected",
    [("t={seconds:.3f}", 2000), ("{micros:.0f}", 2000), ("{millis:.0f}", 2000), ("nonsense", None)],
)
def test_queue_time_reads_the_usual_x_request_start_formats(header, expected):
    now = time.time() - 2.0
    value = header.format(seconds=now, micros=now * 1e6, millis=now * 1e3)
    out = io.StringIO()
    call_wsgi(RequestLog(_app(), stream=out), "/", headers={"X-Request-Start": value})
    queue = LINE.fullmatch(out.getvalue().strip())["queue"]
    if expected is None:
        assert queue == "-"
    else:
        assert 2000 <= int(queue.removesuffix("ms")) < 60_000


def test_paths_are_quoted_so_lines_stay_parseable():
    out = io.StringIO()
    call_wsgi(RequestLog(_app(status="404 Not Found"), stream=out), '/a"b c')
    line = LINE.fullmatch(out.getvalue().strip())
    assert line["path"] == r"/a\"b c"
    assert (line["level"], line["status"]) == ("info", "404")


def test_a_huge_path_is_cut_so_the_line_stays_one_write():
    out = io.StringIO()
    call_wsgi(RequestLog(_app(), stream=out), "/" + "x" * 5000)
    line = LINE.fullmatch(out.getvalue().strip())
    assert len(line["path"]) == 1000


def test_an_exploding_app_is_logged_as_500():
    out = io.StringIO()

    def boom(environ, start_response):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        call_wsgi(RequestLog(boom, stream=out), "/")
    line = LINE.fullmatch(out.getvalue().strip())
    assert (line["level"], line["status"]) == ("error", "500")
