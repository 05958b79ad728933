"""SEO at the site's root: the sitemap index, its sections (pages, cities, listings; paginated
with ?p=2...) and robots.txt. Page-cached by name (settings.PAGE_CACHE_PAGES)."""

from django.contrib.sitemaps import views as sitemaps_views
from django.urls import path

from .sitemaps import SITEMAPS
from .views import robots_txt

urlpatterns = [
    path(
        "sitemap.xml",
        sitemaps_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<slug:section>.xml",
        sitemaps_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("robots.txt", robots_txt, name="robots"),
]
