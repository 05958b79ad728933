"""A change purges the tags it concerns, through a job written in its transaction, by the
backend CDN_PURGE names; a CDN that refuses never fails the change."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from bookings.tests.factories import BookingFactory
from listings.services import listing_update
from listings.tests.factories import CityFactory, ListingFactory
from pages.models import Page

pytestmark = pytest.mark.django_db(transaction=True)


class Purges(BaseHTTPRequestHandler):
    """A stand-in Varnish: records each PURGE's tags, answers with ``status``."""

    received: list[str] = []
    status = 200

    def do_PURGE(self):  # noqa: N802 - the HTTP method's name
        type(self).received.append(self.headers.get("xkey-purge", ""))
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def varnish_purges(settings):
    Purges.received, Purges.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Purges)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CDN_PURGE = "varnish"
    settings.CDN_PURGE_URLS = [f"http://127.0.0.1:{server.server_port}/"]
    yield Purges
    server.shutdown()
    server.server_close()


def purge_jobs():
    return DBTaskResult.objects.filter(task_path="cdn.tasks.cdn_purge")


def test_no_cdn_no_job(settings):
    settings.CDN_PURGE = ""
    ListingFactory()
    assert not purge_jobs().exists()


def test_a_listing_edit_purges_its_pages_and_the_lists_it_is_on(varnish_purges, run_jobs):
    listing = ListingFactory(city=CityFactory(name="Boulder"))
    run_jobs()
    varnish_purges.received.clear()
    listing_update(listing=listing, data={"title": "A new title"})
    run_jobs()
    assert varnish_purges.received  # after commit, by the worker
    for received in varnish_purges.received:
        assert set(received.split()) == {
            f"listing-{listing.pk}",
            "city-boulder",
            "search",
            "home",
            "sitemap",
        }


def test_a_page_edit_purges_that_page_only(varnish_purges, run_jobs):
    page, _ = Page.objects.get_or_create(slug="terms", defaults={"title": "T", "body": "<p>x"})
    run_jobs()
    varnish_purges.received.clear()
    page.title = "Terms"
    page.save()
    run_jobs()
    assert varnish_purges.received == ["page-terms"]


def test_a_request_purges_nothing_an_approval_purges_the_listing(varnish_purges, run_jobs):
    booking = BookingFactory(status="requested")
    run_jobs()
    varnish_purges.received.clear()
    booking.status = "declined"
    booking.save()
    run_jobs()
    assert varnish_purges.received == []


def test_a_refused_purge_never_fails_the_write_and_is_tried_again(varnish_purges, run_jobs):
    varnish_purges.status = 503
    listing = ListingFactory()
    listing_update(listing=listing, data={"title": "Kept whatever the CDN says"})
    listing.refresh_from_db()
    assert listing.title == "Kept whatever the CDN says"
    run_jobs()
    job = purge_jobs().latest("enqueued_at")
    # Failed once; made ready again for later (jobs.services.retry_delay).
    assert job.status == TaskResultStatus.READY
    assert "503" in job.traceback


@pytest.fixture
def cloudfront(settings, monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", endpoint)
    client = boto3.client("cloudfront", endpoint_url=endpoint)
    distribution = client.create_distribution(
        DistributionConfig={
            "CallerReference": "pivotdesk-test",
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "app",
                        "DomainName": "app.example.com",
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "https-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "app",
                "ViewerProtocolPolicy": "redirect-to-https",
            },
            "Comment": "",
            "Enabled": True,
        }
    )["Distribution"]
    settings.CDN_PURGE = "cloudfront"
    settings.CDN_CLOUDFRONT_DISTRIBUTION_ID = distribution["Id"]
    yield client, distribution["Id"]
    server.stop()


def test_cloudfront_gets_an_invalidation_by_path(cloudfront, run_jobs):
    client, distribution_id = cloudfront
    listing = ListingFactory(city=CityFactory(name="Denver"))
    run_jobs()
    invalidations = client.list_invalidations(DistributionId=distribution_id)
    items = invalidations["InvalidationList"].get("Items", [])
    assert items
    paths = {
        path
        for item in items
        for path in client.get_invalidation(DistributionId=distribution_id, Id=item["Id"])[
            "Invalidation"
        ]["InvalidationBatch"]["Paths"]["Items"]
    }
    assert listing.get_absolute_url() + "*" in paths
    assert {"/", "/spaces/*", "/sitemap*", "/spaces/denver/*"} <= paths
