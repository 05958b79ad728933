"""The hosts' admin site at /host/: a second AdminSite where a host sees only their own things."""

from django.contrib.admin import AdminSite


class HostAdminSite(AdminSite):
    site_header = "PivotDesk for hosts"
    site_title = "PivotDesk hosts"
    index_title = "Your spaces"
    site_url = "/"

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and getattr(user, "is_host", False)


host_site = HostAdminSite(name="host")
