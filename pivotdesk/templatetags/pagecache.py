"""``{% content_version as cv %}``: the content version for fragment cache keys.

Listing cards are cached with ``{% cache %}`` keyed by listing id, ``updated_at`` and this
version, so logged-in visitors (who bypass the page cache) reuse them and any edit (a photo,
an amenity, a neighborhood rename) retires them.
"""

import uuid

from django import template

from pivotdesk.pagecache import content_version as read_content_version

register = template.Library()

META_KEY = "pivotdesk.content_version"


@register.simple_tag(takes_context=True)
def content_version(context):
    """The version PageCache read before Django ran (so before the view read the database);
    else read now, once per request. When the cache is unreachable, a key that never matches
    again, so no card is kept under a version that missed an edit."""
    request = context.get("request")
    meta = getattr(request, "META", None)
    if meta is not None and meta.get(META_KEY) is not None:
        return meta[META_KEY]
    version = read_content_version()
    if version is None:
        return f"off-{uuid.uuid4().hex}"
    if meta is not None:
        meta[META_KEY] = version
    return version
