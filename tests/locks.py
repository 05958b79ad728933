"""For race tests on PostgreSQL: how many sessions wait for a lock, waiting until they do, and
racing calls behind a row lock this test holds."""

import threading
import time

from django.core.exceptions import ValidationError
from django.db import connection, transaction


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


def race_behind(row, calls) -> dict:
    """Start each ``(name, call)`` in its own thread, in order, while this test holds
    ``row``'s lock (``select_for_update`` on its model), each one waiting on the lock before
    the next starts; let go once all wait. Each call's result or exception, by name. None
    may hang, and a refusal (ValidationError) is an answer: anything else, a deadlock's
    OperationalError included, fails the test."""
    outcomes = {}

    def run(name, call):
        try:
            outcomes[name] = call()
        except Exception as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    threads = []
    with transaction.atomic():
        type(row).objects.select_for_update().get(pk=row.pk)
        for waiting, (name, call) in enumerate(calls, start=1):
            thread = threading.Thread(target=run, args=(name, call))
            thread.start()
            threads.append(thread)
            until_sessions_wait(waiting)
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a call hung"
    unexpected = {
        name: outcome
        for name, outcome in outcomes.items()
        if isinstance(outcome, Exception) and not isinstance(outcome, ValidationError)
    }
    assert unexpected == {}  # a deadlock shows here: OperationalError "deadlock detected"
    return outcomes
