import datetime

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from alerts.links import unsubscribe_token, unsubscribe_url
from alerts.models import SavedSearch
from alerts.services import alerts_send
from alerts.tests.factories import SavedSearchFactory
from listings.tests.factories import CityFactory, ListingFactory, NeighborhoodFactory


@pytest.fixture
def pearl(db):
    return NeighborhoodFactory(city=CityFactory(name="Boulder"), name="Pearl Street")


def _as(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_search_page_offers_saving_the_same_way_to_everyone(pearl):
    ListingFactory(neighborhood=pearl)
    url = "/spaces/?city=boulder&desks=abc&sort=price"
    anonymous = Client().get(url).content.decode()
    logged_in = _as(UserFactory()).get(url).content.decode()
    form = '<form class="save-search" method="get" action="/accounts/searches/new/">'
    for page in (anonymous, logged_in):
        assert form in page
        assert '<input type="hidden" name="city" value="boulder">' in page
        assert 'name="desks" value="abc"' not in page  # only valid filters are carried
    anonymous_form = anonymous[anonymous.index(form) :].split("</form>")[0]
    logged_in_form = logged_in[logged_in.index(form) :].split("</form>")[0]
    assert anonymous_form == logged_in_form
    assert "csrfmiddlewaretoken" not in anonymous_form


def test_a_visitor_is_asked_to_log_in_and_comes_back_to_the_search(pearl):
    response = Client().get("/accounts/searches/new/?city=boulder")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "city%3Dboulder" in response["Location"]


def test_a_guest_saves_a_search_from_the_search_page(pearl):
    guest = UserFactory()
    client = _as(guest)
    page = client.get("/accounts/searches/new/?city=boulder&type=hot_desk&desks=zzz")
    assert page.status_code == 200
    body = page.content.decode()
    assert "We ignored this filter" in body  # the garbage desks
    assert 'value="Boulder · Hot desk"' in body
    response = client.post(
        "/accounts/searches/new/",
        {"name": "Boulder hot desks", "frequency": "weekly", "query": "city=boulder&type=hot_desk"},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/searches/"
    saved = SavedSearch.objects.get(user=guest)
    assert (saved.name, saved.frequency, saved.query) == (
        "Boulder hot desks",
        "weekly",
        "city=boulder&type=hot_desk",
    )
    listing = client.get("/accounts/searches/").content.decode()
    assert "Boulder hot desks" in listing and "Weekly" in listing
    assert 'href="/spaces/?city=boulder&amp;type=hot_desk"' in listing


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "frequency": "daily", "query": "city=boulder"},
        {"name": "x", "frequency": "hourly", "query": "city=boulder"},
        {"name": "x" * 5000, "frequency": "daily", "query": "city=boulder"},
        {"name": "x", "frequency": "daily", "query": "desks=\x00&" + "q=a&" * 3000},
        {"frequency": "daily"},
    ],
)
def test_garbage_posts_get_a_form_error_and_save_nothing(pearl, data):
    response = _as(UserFactory()).post("/accounts/searches/new/", data)
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert not SavedSearch.objects.exists()


def test_a_duplicate_gets_a_form_error(pearl):
    guest = UserFactory()
    client = _as(guest)
    data = {"name": "A", "frequency": "daily", "query": "city=boulder"}
    client.post("/accounts/searches/new/", data)
    response = client.post("/accounts/searches/new/", {**data, "name": "B"})
    assert "You have already saved this search as “A”" in response.content.decode()
    assert SavedSearch.objects.count() == 1


def test_manage_rename_change_frequency_delete(pearl):
    saved = SavedSearchFactory(name="Old")
    client = _as(saved.user)
    assert client.get(f"/accounts/searches/{saved.pk}/").status_code == 200
    response = client.post(
        f"/accounts/searches/{saved.pk}/", {"name": "New name", "frequency": "off"}
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.name, saved.frequency) == ("New name", "off")
    assert client.post(f"/accounts/searches/{saved.pk}/delete/").status_code == 302
    assert not SavedSearch.objects.exists()


def test_other_peoples_saved_searches_are_404(pearl):
    saved = SavedSearchFactory(name="Private plans")
    client = _as(UserFactory())
    assert client.get(f"/accounts/searches/{saved.pk}/").status_code == 404
    response = client.post(f"/accounts/searches/{saved.pk}/", {"name": "x", "frequency": "off"})
    assert response.status_code == 404
    assert client.post(f"/accounts/searches/{saved.pk}/delete/").status_code == 404
    assert client.get("/accounts/searches/999999999/").status_code == 404
    assert client.get("/accounts/searches/99999999999999999999999/").status_code == 404
    assert b"Private plans" not in client.get("/accounts/searches/").content
    saved.refresh_from_db()
    assert (saved.name, saved.frequency) == ("Private plans", "daily")


def test_delete_is_post_only(pearl):
    saved = SavedSearchFactory()
    assert _as(saved.user).get(f"/accounts/searches/{saved.pk}/delete/").status_code == 405
    assert SavedSearch.objects.filter(pk=saved.pk).exists()


def test_unsubscribe_get_asks_post_turns_off_without_login(pearl):
    saved = SavedSearchFactory(name="Pearl desks")
    url = unsubscribe_url(saved_search=saved).removeprefix("http://127.0.0.1:8000")
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert page.status_code == 200 and "Stop emails for “Pearl desks”" in page.content.decode()
    saved.refresh_from_db()
    assert saved.frequency == "daily"  # a link scanner's GET changes nothing
    # RFC 8058: the mail client posts "List-Unsubscribe=One-Click", no session, no CSRF token.
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b"Unsubscribed" in response.content
    saved.refresh_from_db()
    assert saved.frequency == "off"
    assert client.post(url).status_code == 200  # again: still fine


def test_forged_tampered_and_expired_unsubscribe_tokens_are_400(pearl, settings):
    saved = SavedSearchFactory()
    token = unsubscribe_token(saved_search=saved)
    other = signing.dumps({"s": saved.pk, "u": saved.user_id}, salt="another.salt")
    forged = [
        "garbage",
        token[:-2] + ("aa" if not token.endswith("aa") else "bb"),
        other,
        "x" * 5000,
        "%00",
        signing.dumps({"s": "nope"}, salt="alerts.unsubscribe"),
    ]
    for bad in forged:
        for method in ("get", "post"):
            response = getattr(Client(), method)(f"/accounts/searches/unsubscribe/{bad}/")
            assert response.status_code in (400, 404), (bad, method, response.status_code)
    settings.ALERTS_UNSUBSCRIBE_MAX_AGE = -1  # every token is too old
    assert Client().post(f"/accounts/searches/unsubscribe/{token}/").status_code == 400
    saved.refresh_from_db()
    assert saved.frequency == "daily"


def test_the_alert_email_lists_new_spaces_and_unsubscribes_in_one_click(pearl, run_jobs):
    saved = SavedSearchFactory(name="Pearl desks", query="city=boulder")
    listing = ListingFactory(neighborhood=pearl, title="Sunny corner on Pearl")
    now = timezone.make_aware(datetime.datetime(2027, 3, 1, 7, 0))
    assert alerts_send(now=now) == 1
    assert alerts_send(now=now) == 0
    run_jobs()
    run_jobs()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [saved.user.email]
    assert email.subject == "1 new space for “Pearl desks”"
    assert "Sunny corner on Pearl" in email.body
    assert listing.get_absolute_url() in email.body
    unsubscribe = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in email.body
    path = unsubscribe.removeprefix("http://127.0.0.1:8000")
    assert Client().post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    saved.refresh_from_db()
    assert saved.frequency == "off"
    ListingFactory(neighborhood=pearl)
    assert alerts_send(now=now + datetime.timedelta(days=1)) == 0


def test_nothing_new_sends_no_email(pearl, run_jobs):
    ListingFactory(neighborhood=pearl)
    from alerts.services import saved_search_create

    saved_search_create(user=UserFactory(), name="Boulder", query="city=boulder")
    assert alerts_send() == 0
    run_jobs()
    assert mail.outbox == []


def test_the_command_sends_once_per_period(pearl, run_jobs):
    from io import StringIO

    from django.core.management import call_command

    SavedSearchFactory(query="city=boulder")
    ListingFactory(neighborhood=pearl)
    out = StringIO()
    call_command("send_search_alerts", stdout=out)
    call_command("send_search_alerts", stdout=out)
    assert out.getvalue().splitlines() == ["1 alert queued.", "0 alerts queued."]
    run_jobs()
    assert len(mail.outbox) == 1


def test_a_search_turned_off_after_queueing_sends_nothing(pearl, run_jobs):
    saved = SavedSearchFactory(query="city=boulder")
    ListingFactory(neighborhood=pearl)
    alerts_send()
    SavedSearch.objects.filter(pk=saved.pk).update(frequency="off")
    run_jobs()
    assert mail.outbox == []


def test_a_mail_outage_delays_the_alert_and_it_arrives_once_with_its_headers(
    pearl, settings, run_jobs
):
    import time

    from pivotdesk.tests.support import closed_port, smtp_mailers, smtp_server

    SavedSearchFactory(name="Pearl", query="city=boulder")
    ListingFactory(neighborhood=pearl, title="Quiet loft")
    settings.TASKS_RETRY_DELAY_S = 0.5
    settings.MAILERS = smtp_mailers(closed_port(), timeout=2)
    assert alerts_send() == 1
    run_jobs()  # refused: the job waits for its retry
    assert alerts_send() == 0
    with smtp_server() as smtp:
        settings.MAILERS = smtp_mailers(smtp.port, timeout=5)
        time.sleep(0.6)
        run_jobs()
        run_jobs()
    [received] = smtp.received
    assert received["Subject"] == "1 new space for “Pearl”"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/accounts/searches/")


def test_the_clock_runs_the_alerts_every_morning():
    import crontask

    import alerts.tasks

    assert alerts.tasks.alerts_send_due
    jobs = {job.name: str(job.trigger) for job in crontask.scheduler.get_jobs()}
    assert "hour='7'" in jobs["alerts_send_due"] and "minute='0'" in jobs["alerts_send_due"]


def test_the_saved_searches_page_costs_the_same_queries_for_one_or_many(pearl):
    guest = UserFactory()
    client = _as(guest)
    SavedSearchFactory(user=guest, query="city=boulder")
    client.get("/accounts/searches/")  # the process's copy of the search choices
    with CaptureQueriesContext(connection) as one:
        assert client.get("/accounts/searches/").status_code == 200
    for n in range(6):
        SavedSearchFactory(user=guest, query=f"city=boulder&desks={n + 2}")
    client.get("/accounts/searches/")
    with CaptureQueriesContext(connection) as seven:
        page = client.get("/accounts/searches/")
    assert page.content.decode().count("Boulder · ") == 6
    assert len(seven) == len(one)
