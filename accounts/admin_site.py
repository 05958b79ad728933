"""The two admin sites.

- ``host_site`` at /host/: a host (``is_host`` staff) sees only their own things. Every
  ModelAdmin registered here must filter ``get_queryset`` by ``request.user``; the site
  itself makes sure its generic views (view-on-site) go through that queryset too.
- ``OperatorAdminSite`` is the default ``admin.site`` at /admin/ (see
  ``accounts.apps.OperatorAdminConfig``): operators only (``User.is_operator``: active,
  staff and superuser), so a host's staff flag does not open /admin/.
"""

from django.contrib.admin import AdminSite
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path


class _SiteLoginForm(AdminAuthenticationForm):
    """The admin login form, refusing accounts the site is not for with the usual error.

    Without it a host could log in at /admin/login/ only to be bounced back to the form. The
    message is the generic "wrong email or password" one, so it reveals nothing.
    """

    def allowed(self, user):
        raise NotImplementedError

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not self.allowed(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class HostLoginForm(_SiteLoginForm):
    def allowed(self, user):
        return getattr(user, "is_host", False)


class OperatorLoginForm(_SiteLoginForm):
    def allowed(self, user):
        return user.is_operator


class HostAdminSite(AdminSite):
    """The host admin. Apps add what a host should see first on its home page with
    ``add_index_panel`` (bookings: the requests waiting for an answer), so this site needs
    no import of theirs."""

    site_header = "PivotDesk for hosts"
    site_title = "PivotDesk hosts"
    index_title = "Your spaces"
    index_template = "admin/host_index.html"
    site_url = "/"
    # A host has two lists (spaces, bookings), both on the home page and in the breadcrumbs;
    # the sidebar would take 300 px from the bookings list.
    enable_nav_sidebar = False
    login_form = HostLoginForm
    login_template = "admin/host_login.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._index_panels = []
        self._title_counts = []

    def add_index_panel(self, panel):
        """``panel(request)`` returns a context dict for templates/admin/host_index_panel.html
        (title, items, empty, link, link_text), or None to show nothing."""
        self._index_panels.append(panel)
        return panel

    def add_title_count(self, count):
        """``count(request)`` returns how many things wait for the host (bookings: requests
        to answer); the sum leads every page title of this site, e.g. "(2) Your bookings |
        PivotDesk hosts" (templates/admin/base_site.html)."""
        self._title_counts.append(count)
        return count

    def each_context(self, request):
        context = super().each_context(request)
        if self._title_counts and self.has_permission(request):
            context["waiting_count"] = sum(count(request) for count in self._title_counts)
        return context

    def index(self, request, extra_context=None):
        panels = [shown for panel in self._index_panels if (shown := panel(request))]
        return super().index(request, {"panels": panels, **(extra_context or {})})

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and getattr(user, "is_host", False)

    def get_urls(self):
        # Django's view-on-site shortcut redirects to any object's page by content type and
        # id, bypassing the ModelAdmin querysets. Replace it with one that only resolves
        # objects the host can see through the registered ModelAdmin.
        urls = [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]
        return [
            path(
                "r/<int:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            ),
            *urls,
        ]

    def view_on_site(self, request, content_type_id, object_id):
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            model_admin = self.get_model_admin(model)
            obj = model_admin.get_queryset(request).filter(pk=object_id).first()
        except (ContentType.DoesNotExist, NotRegistered, ValueError, ValidationError) as exc:
            raise Http404("No such object.") from exc
        if obj is None or not hasattr(obj, "get_absolute_url"):
            raise Http404("No such object.")
        return redirect(obj.get_absolute_url())


class OperatorAdminSite(AdminSite):
    site_header = "PivotDesk operations"
    site_title = "PivotDesk operations"
    login_form = OperatorLoginForm

    def has_permission(self, request):
        return getattr(request.user, "is_operator", False)


host_site = HostAdminSite(name="host")
