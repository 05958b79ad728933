"""The rows of ``manage.py golive``. The project checks its own settings and services; an app
that needs something to go live adds rows of its own in ``<app>/golive.py``:

    def golive_rows() -> list[Row]: ...

``app_rows`` finds them in INSTALLED_APPS order, so the project imports no app."""

from importlib import import_module
from typing import NamedTuple

from django.apps import apps
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

OK, WARNING, BLOCKER = "ok", "WARNING", "BLOCKER"
# The platform router answers H12 after this, whatever the app does.
ROUTER_TIMEOUT_S = 30


class Row(NamedTuple):
    check: str
    status: str
    detail: str


def short(exc: Exception) -> str:
    """An exception in one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def ago(moment) -> str:
    seconds = int((timezone.now() - moment).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s ago" if seconds >= 60 else f"{seconds} s ago"


def app_rows() -> list[Row]:
    """Every installed app's ``golive.golive_rows()``; an app whose rows raise gets a
    blocker row that says why (golive itself never crashes)."""
    rows = []
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "golive"):
            continue
        try:
            rows += import_module(f"{config.name}.golive").golive_rows()
        except Exception as exc:
            rows.append(Row(config.label, BLOCKER, f"its golive rows failed: {short(exc)}"))
    return rows
