"""Purging a CDN by tag, through the backend ``CDN_PURGE`` names (docs/CDN.md):

* ``""``: none; ``s-maxage`` bounds how stale a shared copy may be.
* ``"varnish"``: ``PURGE`` with ``xkey-purge: <tags>`` to each of ``CDN_PURGE_URLS``.
* ``"cloudfront"``: one invalidation of ``CDN_CLOUDFRONT_DISTRIBUTION_ID`` by path (CloudFront
  has no tags: each tag stands for the paths in ``tag_paths``).

``cdn.services`` enqueues these purges as jobs; the worker runs them (``cdn.tasks``).
"""

import logging
import uuid

import requests
from django.conf import settings

from .tags import ALL, TAG

log = logging.getLogger(__name__)
BACKENDS = ("", "varnish", "cloudfront")
TIMEOUT_S = 5


def purge_configured() -> bool:
    return bool(settings.CDN_PURGE)


def tag_paths(tags: list[str], listing_paths: dict[str, str]) -> list[str]:
    """The CloudFront paths standing for ``tags`` (a listing's path is known at the change)."""
    paths = []
    for tag in tags:
        if tag == ALL:
            return ["/*"]
        if tag == "home":
            paths.append("/")
        elif tag == "search":
            paths.append("/spaces/*")
        elif tag == "sitemap":
            paths.append("/sitemap*")
        elif tag == "robots":
            paths.append("/robots.txt")
        elif tag.startswith("city-"):
            paths.append(f"/spaces/{tag.removeprefix('city-')}/*")
        elif tag.startswith("page-"):
            paths.append(f"/{tag.removeprefix('page-')}/")
        elif tag in listing_paths:
            paths.append(listing_paths[tag] + "*")
    return list(dict.fromkeys(paths))


def purge(*, tags: list[str], paths: list[str]) -> str:
    """Purge ``tags`` (``paths`` on CloudFront) now; raise when the CDN did not take it."""
    tags = [tag for tag in tags if TAG.match(tag)]
    if not tags:
        return "nothing to purge"
    if settings.CDN_PURGE == "varnish":
        for url in settings.CDN_PURGE_URLS:
            response = requests.request(
                "PURGE", url, headers={"xkey-purge": " ".join(tags)}, timeout=TIMEOUT_S
            )
            response.raise_for_status()
        return f"purged {len(tags)} tag(s) on {len(settings.CDN_PURGE_URLS)} Varnish"
    if settings.CDN_PURGE == "cloudfront":
        import boto3

        client = boto3.client("cloudfront")
        client.create_invalidation(
            DistributionId=settings.CDN_CLOUDFRONT_DISTRIBUTION_ID,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": uuid.uuid4().hex,
            },
        )
        return f"invalidated {len(paths)} path(s)"
    return "no CDN configured"
