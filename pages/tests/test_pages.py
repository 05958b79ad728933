"""The footer's pages: on every page, seeded with defaults, edited by the operator."""

import pytest
from django.core.wsgi import get_wsgi_application
from django.test import Client

from pages.models import Page
from pivotdesk.pagecache import PageCache
from pivotdesk.tests.wsgi_util import wsgi_get

pytestmark = pytest.mark.django_db

FOOTER = {
    "/terms/": "Terms of use",
    "/privacy/": "Privacy",
    "/contact/": "Contact",
    "/cancellation-and-notice/": "Cancellation and notice",
}


def test_every_page_links_to_the_footer_pages(client):
    html = client.get("/").content.decode()
    for url in FOOTER:
        assert f'href="{url}"' in html


@pytest.mark.parametrize(("url", "title"), FOOTER.items())
def test_each_page_is_seeded_with_plain_english_defaults(client, url, title):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{title}</h1>" in html
    assert f"<title>{title} — PivotDesk</title>" in html
    assert "<p>" in html  # the HTML body is shown as HTML, not escaped


def test_the_policy_states_the_notice_period_and_the_answer_time(client):
    html = client.get("/cancellation-and-notice/").content.decode()
    assert "30 days&#x27; notice" in html or "30 days' notice" in html
    assert "72 hours" in html


def test_the_operator_edits_a_page_in_admin_and_visitors_see_it(admin_client):
    Client().get("/terms/")  # rendered (and cached) before the edit
    page = Page.objects.get(slug="terms")
    response = admin_client.post(
        f"/admin/pages/page/{page.pk}/change/",
        {"title": "Terms of use", "body": "<p>New terms from the operator.</p>"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "New terms from the operator." in Client().get("/terms/").content.decode()


def test_the_operator_can_neither_add_nor_delete_a_page(admin_client):
    page = Page.objects.get(slug="terms")
    assert admin_client.get("/admin/pages/page/add/").status_code == 403
    assert admin_client.get(f"/admin/pages/page/{page.pk}/delete/").status_code == 403


def test_an_unknown_page_is_a_404_and_a_post_is_refused(client):
    assert client.get("/no-such-page/").status_code == 404
    assert client.post("/terms/").status_code == 405


def test_a_page_is_cached_whole_for_visitors_and_an_edit_shows_next(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    app = PageCache(get_wsgi_application())
    assert wsgi_get(app, "/privacy/").header("X-Page-Cache") == "miss"
    with django_assert_num_queries(0):
        hit = wsgi_get(app, "/privacy/")
    assert (hit.status, hit.header("X-Page-Cache")) == (200, "hit")

    page = Page.objects.get(slug="privacy")
    page.body = "<p>We keep less now.</p>"
    with django_capture_on_commit_callbacks(execute=True):
        page.save()  # the content version moves when the edit commits
    fresh = wsgi_get(app, "/privacy/")
    assert "We keep less now." in fresh.text
