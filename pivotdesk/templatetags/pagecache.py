"""``{% content_version as cv %}``: the content version for fragment cache keys.

Fragments keyed by it (``{% cache … cv %}``; listing cards in ``listings.cards``) are retired by
any edit (a photo, an amenity, a neighborhood rename), and logged-in visitors, who bypass the
page cache, reuse them.
"""

import uuid

from django import template

from pivotdesk.pagecache import request_content_version

register = template.Library()


@register.simple_tag(takes_context=True)
def content_version(context):
    """The request's content version (``pivotdesk.pagecache.request_content_version``). When
    the cache is unreachable, a key that never matches again, so no card is kept under a
    version that missed an edit."""
    version = request_content_version(context.get("request"))
    return f"off-{uuid.uuid4().hex}" if version is None else version
