from django.contrib import admin
from django.urls import include, path

from pivotdesk import health, media

# A database error outside a view still answers 503 (pivotdesk/middleware/dberrors.py).
handler500 = "pivotdesk.middleware.dberrors.server_error"

# Uploaded photos from local disk, first: the most frequent request (none with S3).
urlpatterns = [
    *media.urlpatterns(),
    path("", include("listings.urls")),
    path("", include("bookings.urls")),
    path("", include("tours.urls")),
    path("accounts/teams/", include("teams.urls")),
    path("accounts/searches/", include("alerts.urls")),
    path("", include("waitlist.urls")),
    path("", include("questions.urls")),
    path("accounts/", include("accounts.urls")),
    path("host/calendar/", include("calendars.urls")),
    path("payments/", include("payments.urls")),
    path("host/", include("accounts.host_urls", namespace="host")),
    path("admin/", admin.site.urls),
    path("", include("listings.seo_urls")),  # sitemap.xml, sitemap-<section>.xml, robots.txt
    path("", include("pages.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
