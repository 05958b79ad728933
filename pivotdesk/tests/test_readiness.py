"""golive's app rows: each installed app's golive.py adds its own; one that raises blocks."""

from django.test import modify_settings

from pivotdesk.readiness import BLOCKER, WARNING, Row, app_rows

APPS = ["pivotdesk.tests.golive_apps.counter", "pivotdesk.tests.golive_apps.broken"]


def test_apps_add_rows_in_installed_order_and_a_failing_app_blocks():
    with modify_settings(INSTALLED_APPS={"append": APPS}):
        rows = app_rows()
    assert rows[-2:] == [
        Row("counter", WARNING, "an app's own row"),
        Row("broken", BLOCKER, "its golive rows failed: RuntimeError: its service is unreachable"),
    ]
    assert {row.check for row in rows[:-2]} >= {"worker", "CDN"}  # jobs' and cdn's rows
    assert app_rows() == rows[:-2]  # gone with the apps
