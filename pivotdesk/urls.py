from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.admin_site import host_site

# A database error outside a view still answers 503 (pivotdesk/middleware/dberrors.py).
handler500 = "pivotdesk.middleware.dberrors.server_error"

urlpatterns = [
    path("", include("listings.urls")),
    path("", include("bookings.urls")),
    path("accounts/", include("accounts.urls")),
    path("host/", host_site.urls),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
