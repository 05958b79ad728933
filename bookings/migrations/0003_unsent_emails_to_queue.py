"""The booking emails kept by the old resend table become jobs on the queue (one each, ready
now); then the table goes."""

import datetime
import uuid

from django.db import migrations

TASK_PATH = "bookings.emails.booking_email_send"
DATE_MAX = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)  # django-tasks-db's "no run_after"


def unsent_to_jobs(apps, schema_editor):
    UnsentEmail = apps.get_model("bookings", "UnsentEmail")
    BookingEvent = apps.get_model("bookings", "BookingEvent")
    Job = apps.get_model("django_tasks_database", "DBTaskResult")
    jobs = []
    for unsent in UnsentEmail.objects.order_by("id"):
        latest = BookingEvent.objects.filter(booking_id=unsent.booking_id).order_by("-at", "-id")
        event_id = None if unsent.message_id else latest.values_list("id", flat=True).first()
        jobs.append(
            Job(
                id=uuid.uuid4(),
                status="READY",
                args_kwargs={
                    "args": [],
                    "kwargs": {
                        "booking_id": unsent.booking_id,
                        "kind": unsent.kind,
                        "to": unsent.to,
                        "event_id": event_id,
                        "message_id": unsent.message_id,
                    },
                },
                priority=0,
                task_path=TASK_PATH,
                queue_name="default",
                backend_name="default",
                run_after=DATE_MAX,
            )
        )
    Job.objects.bulk_create(jobs)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0002_unsent_email"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunPython(unsent_to_jobs, migrations.RunPython.noop),
        migrations.DeleteModel(name="UnsentEmail"),
    ]
