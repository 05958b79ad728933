from django.apps import AppConfig


class CdnConfig(AppConfig):
    """A shared cache in front (Varnish, Fastly, Cloudflare, CloudFront): public pages say
    what they show in a ``Surrogate-Key`` header; a change purges those tags (docs/CDN.md)."""

    name = "cdn"
    verbose_name = "CDN"

    def ready(self):
        from pivotdesk.pagecache import content_changed

        from .services import cdn_content_changed

        content_changed.connect(cdn_content_changed, dispatch_uid="cdn-content-changed")
