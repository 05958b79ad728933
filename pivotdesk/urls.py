from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from accounts.admin_site import host_site
from listings.sitemaps import SITEMAPS
from listings.views import robots_txt
from pivotdesk import health, media

# A database error outside a view still answers 503 (pivotdesk/middleware/dberrors.py).
handler500 = "pivotdesk.middleware.dberrors.server_error"

urlpatterns = [
    path("", include("listings.urls")),
    path("", include("bookings.urls")),
    path("accounts/", include("accounts.urls")),
    path("host/", host_site.urls),
    path("admin/", admin.site.urls),
    # SEO (listings): the sitemap of cities and published listings, and robots.txt.
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", robots_txt, name="robots"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

# Uploaded photos from local disk, also with DEBUG off (none when S3 holds them).
urlpatterns += media.urlpatterns()
