from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps_views
from django.urls import include, path

from accounts.admin_site import host_site
from listings.sitemaps import SITEMAPS
from listings.views import robots_txt
from pivotdesk import health, media

# A database error outside a view still answers 503 (pivotdesk/middleware/dberrors.py).
handler500 = "pivotdesk.middleware.dberrors.server_error"

# Uploaded photos from local disk, first: the most frequent request (none with S3).
urlpatterns = [
    *media.urlpatterns(),
    path("", include("listings.urls")),
    path("", include("bookings.urls")),
    path("accounts/", include("accounts.urls")),
    path("payments/", include("payments.urls")),
    path("host/", host_site.urls),
    path("admin/", admin.site.urls),
    # SEO (listings): the sitemap index, its sections (pages, cities, listings; paginated
    # with ?p=2...) and robots.txt. Page-cached by name (settings.PAGE_CACHE_PAGES).
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
    path("", include("pages.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
