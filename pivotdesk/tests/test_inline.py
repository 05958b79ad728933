"""{% data_uri %}: the site icon travels inside the page (one request less per newcomer)."""

import base64
import re

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template

from pivotdesk.templatetags.inline import MAX_BYTES


def render(path):
    return Template("{% load inline %}{% data_uri path %}").render(Context({"path": path}))


def test_a_small_file_becomes_a_data_uri_of_its_bytes():
    uri = render("img/favicon.svg")
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    with open(finders.find("img/favicon.svg"), "rb") as icon:
        assert base64.b64decode(uri.removeprefix(prefix)) == icon.read()


def test_a_big_or_unknown_file_keeps_its_static_url():
    with open(finders.find("css/pivotdesk.css"), "rb") as css:
        assert len(css.read()) > MAX_BYTES
    assert render("css/pivotdesk.css") == "/static/css/pivotdesk.css"
    assert render("img/nowhere.svg") == "/static/img/nowhere.svg"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/spaces/", "/accounts/login/"])
def test_pages_carry_the_icon_instead_of_linking_it(client, path):
    html = client.get(path).content.decode()
    assert re.search(r'<link rel="icon" href="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', html)
    assert "favicon" not in html
