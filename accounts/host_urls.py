"""/host/: the hosts' admin site (accounts.admin_site), included by the project's URLconf."""

from .admin_site import host_site

# AdminSite.urls is (patterns, "admin", the site's name); the project includes it as "host".
urlpatterns, app_name = host_site.urls[:2]
