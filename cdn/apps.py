from django.apps import AppConfig


class CdnConfig(AppConfig):
    """A shared cache in front (Varnish, Fastly, Cloudflare, CloudFront): public pages say
    what they show in a ``Surrogate-Key`` header; a change purges those tags (docs/CDN.md)."""

    name = "cdn"
    verbose_name = "CDN"
