"""``{% data_uri 'img/favicon.svg' %}``: a small static file written into the page itself.

The site icon is one request per visitor, made on the first page, in the middle of a
tweet's arrival burst; as a ``data:`` URI (allowed by the CSP's img-src) it costs the page
a few hundred bytes instead. Files over ``MAX_BYTES`` keep their static URL.
"""

import base64
import functools
import mimetypes

from django import template
from django.contrib.staticfiles import finders
from django.templatetags.static import static

register = template.Library()

MAX_BYTES = 2048


@functools.cache
def _data_uri(path: str) -> str:
    found = finders.find(path)
    if not found:
        return static(path)
    with open(found, "rb") as source:
        content = source.read(MAX_BYTES + 1)
    kind = mimetypes.guess_type(path)[0]
    if len(content) > MAX_BYTES or kind is None:
        return static(path)
    return f"data:{kind};base64,{base64.b64encode(content).decode('ascii')}"


@register.simple_tag
def data_uri(path: str) -> str:
    """The static file ``path`` as a data: URI (read once per process), or its URL when it
    is too big, of no known type, or not found."""
    return _data_uri(path)
