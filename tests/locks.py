"""For race tests on PostgreSQL: how many sessions wait for a lock, and waiting until they do."""

import time

from django.db import connection


def sessions_waiting_for_a_lock() -> int:
    """How many sessions on this test's database wait for a lock right now (the server may be
    shared; pg_stat_activity is re-read, not the snapshot of this transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(DISTINCT l.pid) FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE NOT l.granted AND a.datname = current_database()"
        )
        return cursor.fetchone()[0]


def until_sessions_wait(n: int, *, timeout: float = 10) -> None:
    """Return once ``n`` sessions wait for a lock; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while sessions_waiting_for_a_lock() < n:
        assert time.monotonic() < deadline, f"expected {n} sessions waiting on a lock"
        time.sleep(0.02)
