import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from listings import cards, seo
from pivotdesk.pagecache import request_content_version

register = template.Library()

# The escapes json_script uses: the JSON can never close the <script> element.
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def absolute(url):
    """An absolute URL (SITE_URL prefixed unless it already is absolute)."""
    return seo.absolute_url(str(url))


@register.filter
def jsonld(data):
    """``data`` as a schema.org block: not executable, safely escaped like json_script."""
    payload = json.dumps(data, cls=DjangoJSONEncoder).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


@register.simple_tag
def filter_widget(filters, name):
    """The search form's select or checkboxes ``name`` (``ListingFilter.widget_markup``)."""
    return filters.widget_markup(name)


@register.simple_tag(takes_context=True)
def listing_cards(context, listings, eager=None):
    """The cards of ``listings``, from the fragment cache in one round trip.

    ``eager``: how many cards load their photo at once (the rest are ``loading="lazy"``);
    all of them when not given. Cards missing from the cache are rendered (their photos
    fetched in one query when the listings came without them) and stored together. See
    ``cards.py``.
    """
    return cards.render(
        listings,
        eager=eager,
        version=request_content_version(context.get("request")),
    )
