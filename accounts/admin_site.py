"""The two admin sites.

- ``host_site`` at /host/: a host (``is_host`` staff) sees only their own things. Every
  ModelAdmin registered here must filter ``get_queryset`` by ``request.user``; the site
  itself makes sure its generic views (view-on-site) go through that queryset too.
- ``OperatorAdminSite`` is the default ``admin.site`` at /admin/ (see
  ``accounts.apps.OperatorAdminConfig``): superusers only, so a host's staff flag does not
  open /admin/.
"""

from django.contrib.admin import AdminSite
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connections, models
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
        return user.is_superuser


class HostAdminSite(AdminSite):
    """The host admin. Apps add what a host should see first on its home page with
    ``add_index_panel`` (bookings: the requests waiting for an answer), so this site needs
    no import of theirs."""

    site_header = "PivotDesk for hosts"
    site_title = "PivotDesk hosts"
    index_title = "Your spaces"
    index_template = "admin/host_index.html"
    site_url = "/"
    login_form = HostLoginForm
    login_template = "admin/host_login.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._index_panels = []

    def add_index_panel(self, panel):
        """``panel(request)`` returns a context dict for templates/admin/host_index_panel.html
        (title, items, empty, link, link_text), or None to show nothing."""
        self._index_panels.append(panel)
        return panel

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
        user = request.user
        return user.is_active and user.is_staff and user.is_superuser


host_site = HostAdminSite(name="host")


# --- Forged parameters: every ModelAdmin on either site takes ForgedParamsMixin ----------


def outside_integer_range(field: models.Field, using: str, number: int) -> bool:
    """Whether the database cannot hold ``number`` in ``field`` (an integer field): a query
    naming it fails on SQLite with an OverflowError instead of finding nothing."""
    low, high = connections[using].ops.integer_field_range(field.get_internal_type())
    return (low is not None and number < low) or (high is not None and number > high)


def _can_name_a_row(model: type[models.Model], using: str, value) -> bool:
    """Whether ``value`` is something ``model``'s primary key could hold: a number within the
    database's range for an integer key."""
    pk = model._meta.pk
    try:
        value = pk.to_python(value)
    except ValidationError:
        return False
    return not (isinstance(pk, models.IntegerField) and outside_integer_range(pk, using, value))


class ForgivingChangeList(ChangeList):
    """Django's changelist, answering a forged filter value that no date or database integer
    can hold like any other bad lookup: IncorrectLookupParameters, which the admin answers with
    a redirect to the unfiltered list and ``?e=1``."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            # date_hierarchy: Django checks that year/month/day make a date, but computes the
            # end of the range unchecked: ?start__year=9999 asks for year 10000 (ValueError),
            # ?start__year=9999&start__month=12 for a day after 9999-12-31 (OverflowError), and
            # a 20-digit year or day overflows datetime() itself.
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request):
        try:
            super().get_results(request)
        except (ValueError, OverflowError) as exc:
            # Django lets the URL filter on any of the model's own fields, and some values only
            # fail here, when the count query is built and sent, before the database sees it:
            # ?created_at__year=0 or =9999 (the range's end is no date), a NUL in a string on
            # Postgres (psycopg2's ValueError), ?id__in=<20 digits> on SQLite (OverflowError).
            raise IncorrectLookupParameters(exc) from exc


class ForgedParamsMixin:
    """For every ModelAdmin: forged changelist parameters and action ids are Django's "invalid
    lookup" (a redirect with ``?e=1``), a 400, or dropped with Django's "Items must be
    selected" message — never a 500."""

    # A regex in the URL is compiled by the database: a broken one is a DataError (a 500) on
    # Postgres. Django's admin never links to one.
    REFUSED_LOOKUPS = frozenset({"regex", "iregex"})

    def get_changelist(self, request, **kwargs):
        return ForgivingChangeList

    def lookup_allowed(self, lookup, value, request):
        if lookup.rsplit("__", 1)[-1] in self.REFUSED_LOOKUPS:
            return False  # Django answers DisallowedModelAdminLookup: a 400
        return super().lookup_allowed(lookup, value, request)

    def response_action(self, request, queryset, *args, **kwargs):
        # Django filters pk__in=<the posted ids> as they come: "abc" is a ValueError, and a
        # number past 64 bits an OverflowError on SQLite (Postgres finds nothing). Such an id
        # names no row, so it is dropped; with none left, Django says nothing was selected.
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        usable = [pk for pk in selected if _can_name_a_row(self.model, queryset.db, pk)]
        if len(usable) != len(selected):
            post = request.POST.copy()
            post.setlist(ACTION_CHECKBOX_NAME, usable)
            request.POST = post
        return super().response_action(request, queryset, *args, **kwargs)
