import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from listings import seo

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
