"""The old resend table's emails become jobs on the queue when it goes (bookings 0003)."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from bookings.emails import booking_email_send

from .factories import BookingFactory


@pytest.mark.django_db(transaction=True)
def test_kept_unsent_emails_move_into_the_queue(run_jobs):
    booking = BookingFactory()
    event = booking.events.create(to_status="requested", actor=booking.guest)
    call_command("migrate", "bookings", "0002", verbosity=0)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bookings_unsentemail"
                ' (booking_id, kind, "to", attempts, last_error, created_at, tried_at)'
                " VALUES (%s, 'request_new', 'host', 2, 'SMTPServerDown', %s, %s)",
                [booking.pk, booking.created_at, booking.created_at],
            )
    finally:
        # Every app forward again: going back unapplied the apps built on bookings too.
        call_command("migrate", verbosity=0)

    [job] = DBTaskResult.objects.all()
    assert job.task_path == booking_email_send.module_path and job.status == "READY"
    assert job.args_kwargs["kwargs"] == {
        "booking_id": booking.pk,
        "kind": "request_new",
        "to": "host",
        "event_id": event.pk,
        "message_id": None,
    }
    assert "bookings_unsentemail" not in connection.introspection.table_names()
    run_jobs()
    [email] = mail.outbox
    assert email.to == [booking.listing.host.email]
