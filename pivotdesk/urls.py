from django.contrib import admin
from django.urls import include, path

from accounts.admin_site import host_site
from pivotdesk import media

urlpatterns = [
    path("", include("listings.urls")),
    path("", include("bookings.urls")),
    path("accounts/", include("accounts.urls")),
    path("host/", host_site.urls),
    path("admin/", admin.site.urls),
]

# Uploaded photos from local disk, also with DEBUG off (none when S3 holds them).
urlpatterns += media.urlpatterns()
