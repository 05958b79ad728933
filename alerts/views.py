"""A guest's saved searches under /accounts/searches/, and the one-click unsubscribe."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from .forms import SavedSearchCreateForm, SavedSearchForm
from .links import unsubscribe_search
from .selectors import (
    saved_query,
    saved_search_for_user,
    saved_searches_for_user,
    search_filters,
)
from .services import (
    saved_search_create,
    saved_search_delete,
    saved_search_unsubscribe,
    saved_search_update,
)

DEFAULT_NAME = "All spaces"


def _labels(filters) -> list[str]:
    return [item["label"] for item in filters.active_filters() if item["name"] != "sort"]


@login_required
def saved_search_list(request):
    searches = [
        {"search": search, "labels": _labels(search_filters(query=search.query, request=request))}
        for search in saved_searches_for_user(user=request.user)
    ]
    return render(request, "alerts/savedsearch_list.html", {"searches": searches})


@login_required
@require_http_methods(["GET", "POST"])
def saved_search_new(request):
    """GET with a search's query string (the search page's "Save this search" button, the
    same for every visitor, so cached pages stay shared); POST saves it."""
    if request.method == "POST":
        form = SavedSearchCreateForm(request.POST)
        filters = search_filters(query=request.POST.get("query", "")[:4000], request=request)
        notes = []
        if form.is_valid():
            try:
                saved = saved_search_create(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Saved “{saved.name}”.")
                return redirect("alerts:list")
    else:
        filters = search_filters(query=request.GET.urlencode(), request=request)
        notes = filters.notes()
        form = SavedSearchCreateForm(
            initial={
                "name": " · ".join(_labels(filters))[:100] or DEFAULT_NAME,
                "query": saved_query(filters),
            }
        )
    return render(
        request,
        "alerts/savedsearch_new.html",
        {"form": form, "labels": _labels(filters), "notes": notes},
    )


def _own(request, pk: int):
    saved = saved_search_for_user(user=request.user, pk=pk)
    if saved is None:
        raise Http404("No saved search of yours here.")
    return saved


@login_required
@require_http_methods(["GET", "POST"])
def saved_search_edit(request, pk: int):
    """Rename a saved search or change how often it emails."""
    saved = _own(request, pk)
    form = SavedSearchForm(
        request.POST or None, initial={"name": saved.name, "frequency": saved.frequency}
    )
    if form.is_valid():
        try:
            saved_search_update(saved_search=saved, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your saved search is updated.")
            return redirect("alerts:list")
    labels = _labels(search_filters(query=saved.query, request=request))
    return render(
        request, "alerts/savedsearch_edit.html", {"form": form, "saved": saved, "labels": labels}
    )


@login_required
@require_POST
def saved_search_remove(request, pk: int):
    saved = _own(request, pk)
    saved_search_delete(saved_search=saved, user=request.user)
    messages.success(request, f"Deleted “{saved.name}”.")
    return redirect("alerts:list")


@csrf_exempt  # RFC 8058: the mail client POSTs with no session; the signed token is the proof
@sensitive_variables("token")
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows one button (a mail scanner following links changes nothing); POST — the
    button, or a mail client's List-Unsubscribe-Post — turns the alert off."""
    saved = unsubscribe_search(token=token)
    done = False
    if saved is not None and request.method == "POST":
        saved = saved_search_unsubscribe(token=token)
        done = True
    response = render(
        request,
        "alerts/unsubscribe.html",
        {"saved": saved, "done": done},
        status=200 if saved is not None else 400,
    )
    add_never_cache_headers(response)
    return response
