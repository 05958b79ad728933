"""Admin hardening every app's ModelAdmins share, on both admin sites (/host/, /admin/):
forged changelist parameters and action ids are Django's "invalid lookup" answer, a 400, or
dropped — never a 500; records no one edits in an admin are read-only (``ReadOnlyMixin``)."""

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.shortcuts import redirect


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


class ReadOnlyMixin:
    """For a ModelAdmin or an inline whose rows only services write (charges, lines,
    conversations): viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceRefusalMixin:
    """For a ModelAdmin whose ``save_model`` calls a service: a ValidationError the service
    raises after the form passed (two posts at once, a double click on Save, the second
    refused under a lock or by a constraint) is said on the same page, never a 500. The
    admin's transaction has been rolled back by then: nothing of that post is saved."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect(request.path)
