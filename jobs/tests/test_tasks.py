"""Periodic jobs come from one place: ``@cron`` tasks the clock (``manage.py crontask``)
enqueues."""

import crontask
import pytest

import bookings.tasks
import jobs.tasks
import listings.tasks


def scheduled() -> dict[str, str]:
    return {job.name: str(job.trigger) for job in crontask.scheduler.get_jobs()}


def test_the_clock_schedules_expiry_abandoned_jobs_and_pruning():
    assert bookings.tasks.bookings_expire_stale and jobs.tasks.jobs_requeue_abandoned
    jobs_by_name = scheduled()
    assert "minute='*/10'" in jobs_by_name["bookings_expire_stale"]
    assert "minute='*'" in jobs_by_name["jobs_requeue_abandoned"]
    assert "hour='4'" in jobs_by_name["jobs_prune"]
    assert listings.tasks.listings_prune_photo_files
    assert "hour='4'" in jobs_by_name["listings_prune_photo_files"]


def test_the_clock_expires_unanswered_desk_changes_daily_after_midnight():
    trigger = scheduled()["bookings_expire_changes"]
    assert "hour='0'" in trigger and "minute='5'" in trigger and "day='*'" in trigger


@pytest.mark.django_db
def test_the_photo_files_job_prunes_and_returns_the_count():
    assert listings.tasks.listings_prune_photo_files.call() == 0


@pytest.mark.django_db
def test_the_expiry_job_expires_and_returns_the_count():
    assert bookings.tasks.bookings_expire_stale.call() == 0


@pytest.mark.django_db
def test_the_desk_change_expiry_job_returns_the_count():
    assert bookings.tasks.bookings_expire_changes.call() == 0
