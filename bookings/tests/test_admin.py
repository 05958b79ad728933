import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.services import host_permissions
from accounts.tests.factories import UserFactory
from bookings import admin, services
from bookings.models import Booking
from listings.tests.factories import ListingFactory

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


def host_with_permissions(host):
    codenames = [
        perm.split(".", 1)[1] for perm in host_permissions() if perm.startswith("bookings.")
    ]
    host.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="bookings", codename__in=codenames)
    )
    return host


@pytest.fixture
def host_client(client):
    listing = ListingFactory(desks=3)
    host_with_permissions(listing.host)
    client.force_login(listing.host)
    client.listing = listing
    return client


def test_host_admin_lists_only_bookings_on_own_listings(host_client):
    mine = BookingFactory(listing=host_client.listing)
    theirs = BookingFactory()
    response = host_client.get(reverse("host:bookings_booking_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [mine]
    foreign = host_client.get(reverse("host:bookings_booking_change", args=[theirs.pk]))
    assert foreign.status_code in (302, 404)  # "doesn't exist" — never shown
    assert theirs.guest.email not in foreign.content.decode()


def test_host_admin_change_form_shows_history_and_buttons(host_client):
    booking = BookingFactory(listing=host_client.listing)
    booking.events.create(from_status="", to_status="requested", actor=booking.guest)
    response = host_client.get(reverse("host:bookings_booking_change", args=[booking.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="events-group"' in html and 'id="reply"' in html  # the thread, answerable
    assert 'name="_save"' not in html  # read-only: changes go through the services
    assert reverse("host:bookings_booking_approve", args=[booking.pk]) in html
    assert reverse("host:bookings_booking_decline", args=[booking.pk]) in html


def test_host_admin_history_names_members_and_pivotdesk_for_operators(host_client):
    booking = BookingFactory(listing=host_client.listing, guest=UserFactory(name="Gus Guest"))
    staff = UserFactory(is_staff=True, is_superuser=True, name="Oona Operator")
    booking.events.create(from_status="", to_status="requested", actor=booking.guest)
    booking.events.create(from_status="requested", to_status="declined", actor=staff)
    html = host_client.get(reverse("host:bookings_booking_change", args=[booking.pk])).content
    html = html.decode()
    assert "Gus Guest" in html and "PivotDesk" in html
    assert "Oona Operator" not in html and staff.email not in html


def test_host_admin_buttons_call_the_services(host_client):
    first = BookingFactory(listing=host_client.listing, desks=3)
    second = BookingFactory(listing=host_client.listing, desks=1)
    response = host_client.post(
        reverse("host:bookings_booking_approve", args=[first.pk]), follow=True
    )
    assert response.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Booking.Status.APPROVED
    assert second.status == Booking.Status.DECLINED  # no longer fits: declined automatically
    assert first.events.get().actor == host_client.listing.host
    # Approving again is refused with a message, not a 500.
    again = host_client.post(reverse("host:bookings_booking_approve", args=[first.pk]), follow=True)
    assert again.status_code == 200 and "cannot be approved" in again.content.decode()


def test_host_admin_buttons_refuse_foreign_bookings_and_get(host_client):
    theirs = BookingFactory()
    url = reverse("host:bookings_booking_approve", args=[theirs.pk])
    assert host_client.post(url).status_code == 404
    mine = BookingFactory(listing=host_client.listing)
    assert (
        host_client.get(reverse("host:bookings_booking_decline", args=[mine.pk])).status_code == 405
    )
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.REQUESTED


def test_host_admin_actions_approve_and_report_refusals(host_client):
    fits = BookingFactory(listing=host_client.listing, desks=2)
    closed = BookingFactory(listing=host_client.listing, status="cancelled")
    response = host_client.post(
        reverse("host:bookings_booking_changelist"),
        {"action": "approve_selected", "_selected_action": [fits.pk, closed.pk]},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Approved 1 booking request" in html
    assert f"Request #{closed.pk} from " in html
    assert "A cancelled booking cannot be approved." in html
    fits.refresh_from_db()
    assert fits.status == Booking.Status.APPROVED


def test_bulk_approve_is_first_come_first_served_and_says_who_did_not_fit(host_client):
    listing = host_client.listing  # its desks: enough for the first asker only
    listing.desks = 3
    listing.save()
    earliest = BookingFactory(listing=listing, desks=3, guest=UserFactory(name="Early Bird"))
    later = BookingFactory(listing=listing, desks=2, guest=UserFactory(name="Late Comer"))
    response = host_client.post(
        reverse("host:bookings_booking_changelist"),
        # The changelist shows the newest first; the order of the selection does not matter.
        {"action": "approve_selected", "_selected_action": [later.pk, earliest.pk]},
        follow=True,
    )
    html = response.content.decode()
    earliest.refresh_from_db()
    later.refresh_from_db()
    assert earliest.status == Booking.Status.APPROVED
    assert later.status == Booking.Status.DECLINED
    assert "Approved 1 booking request." in html
    assert f"Request #{later.pk} from Late Comer (2 desks from" in html
    assert "did not fit once the earlier requests were approved" in html
    assert "A declined booking cannot be approved" not in html


def _decline_selected(client, bookings, **confirm):
    data = {"action": "decline_selected", "_selected_action": [b.pk for b in bookings]}
    if confirm:
        data["post"] = "yes"
    return client.post(reverse("host:bookings_booking_changelist"), {**data, **confirm})


def test_bulk_decline_first_asks_for_the_reason_on_a_page_of_its_own(host_client):
    mine = BookingFactory(listing=host_client.listing, guest=UserFactory(name="Ann Asker"))
    answered = BookingFactory(listing=host_client.listing, status=Booking.Status.APPROVED)
    theirs = BookingFactory()  # another host's request, its id forged into the selection

    response = _decline_selected(host_client, [mine, answered, theirs])

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Request #{mine.pk} from Ann Asker" in html
    assert f"#{answered.pk}" not in html and f"#{theirs.pk}" not in html
    assert "2 of the selected bookings were skipped: only your own requests waiting" in html
    assert '<textarea name="reason"' in html and 'maxlength="500"' in html
    assert f'name="_selected_action" value="{mine.pk}"' in html
    assert f'value="{theirs.pk}"' not in html
    assert 'name="post" value="yes"' in html and "csrfmiddlewaretoken" in html
    assert reverse("host:bookings_booking_changelist") in html  # Cancel goes back
    for booking in (mine, answered, theirs):
        status = booking.status
        booking.refresh_from_db()
        assert booking.status == status  # nothing declined before the host confirms


def test_bulk_decline_delivers_the_reason_to_each_guest(host_client, mailoutbox, run_jobs):
    first, second = (BookingFactory(listing=host_client.listing, desks=1) for _ in range(2))
    theirs = BookingFactory()
    reason = "We are closed for renovation in May."

    response = _decline_selected(host_client, [first, second, theirs], reason=reason)
    assert response.status_code == 302
    messages = [m.message for m in get_messages(response.wsgi_request)]
    assert "Declined 2 booking requests." in messages
    assert "1 of the selected bookings was skipped" in messages[-1]
    run_jobs()

    for booking in (first, second):
        booking.refresh_from_db()
        assert booking.status == Booking.Status.DECLINED
        assert [m.body for m in booking.messages.all()] == [reason]
        assert booking.events.get().note == reason
        (email,) = [m for m in mailoutbox if m.to == [booking.guest.email]]
        assert email.subject.startswith("Declined:") and reason in email.body
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.REQUESTED and not theirs.messages.exists()
    assert not [m for m in mailoutbox if theirs.guest.email in m.to]


def test_bulk_decline_refuses_a_reason_longer_than_the_single_decline_takes(host_client):
    booking = BookingFactory(listing=host_client.listing)
    response = _decline_selected(host_client, [booking], reason="x" * 501)
    assert response.status_code == 200
    assert "Ensure this value has at most 500 characters" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED


def test_bulk_decline_without_a_reason_and_of_nothing_waiting(host_client):
    booking = BookingFactory(listing=host_client.listing)
    _decline_selected(host_client, [booking], reason="")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED and not booking.messages.exists()
    # Only answered or foreign requests selected: no page, a message, nothing changes.
    response = _decline_selected(host_client, [booking, BookingFactory()], reason="no")
    assert response.status_code == 302
    messages = [m.message for m in get_messages(response.wsgi_request)]
    assert messages[-1] == admin.DECLINE_NONE_WAITING
    assert "Declined" not in " ".join(messages[1:])


def test_bulk_decline_of_a_request_another_submit_declined_says_so(host_client):
    # The confirm page submitted twice: the other submit declines the second request
    # between this one's read of the selection and its answer to it.
    first, second = (BookingFactory(listing=host_client.listing, desks=1) for _ in range(2))
    host = host_client.listing.host

    def other_submit(sender, instance, **kwargs):
        if instance.pk == first.pk and instance.status == Booking.Status.DECLINED:
            post_save.disconnect(other_submit, sender=Booking)
            services.booking_decline(booking=Booking.objects.get(pk=second.pk), host=host)

    post_save.connect(other_submit, sender=Booking)
    try:
        response = _decline_selected(host_client, [first, second], reason="Full")
    finally:
        post_save.disconnect(other_submit, sender=Booking)
    messages = [m.message for m in get_messages(response.wsgi_request)]
    assert "Declined 1 booking request." in messages
    (told,) = [m for m in messages if f"#{second.pk}" in m]
    assert "was already declined" in told
    assert "approved" not in told


def test_operator_admin_shows_every_booking_with_history(client):
    operator = UserFactory(is_staff=True, is_superuser=True)
    booking = BookingFactory()
    booking.events.create(from_status="", to_status="requested", actor=booking.guest)
    client.force_login(operator)
    assert client.get(reverse("admin:bookings_booking_changelist")).status_code == 200
    response = client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert response.status_code == 200
    assert 'id="events-group"' in response.content.decode()


def test_host_admin_home_starts_with_my_requests_waiting_for_an_answer(host_client):
    mine = host_client.listing
    first = BookingFactory(listing=mine, desks=1, guest=UserFactory(name="<b>Zoe</b>"))
    second = BookingFactory(listing=mine, desks=2)
    BookingFactory(listing=mine, desks=1, status=Booking.Status.APPROVED)
    elsewhere = BookingFactory()  # another host's request

    html = host_client.get(reverse("host:index")).content.decode()
    assert "Waiting for your answer (2)" in html
    panel = html[html.index("Waiting for your answer") : html.index("All open requests")]
    assert panel.index(f"#{first.pk} ") < panel.index(f"#{second.pk} ")  # expires first, first
    assert f"#{elsewhere.pk} " not in panel
    assert "&lt;b&gt;Zoe&lt;/b&gt;" in panel and "<b>Zoe" not in panel
    assert reverse("host:bookings_booking_change", args=[first.pk]) in panel
    deadline = timezone.localtime(first.answer_by)
    assert f"answer by {deadline:%b} {deadline.day}," in panel
    assert "?status__exact=requested" in html


def test_host_admin_home_says_when_nothing_waits_and_costs_the_same_for_many(host_client):
    html = host_client.get(reverse("host:index")).content.decode()
    assert "No requests are waiting for your answer." in html

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert host_client.get(reverse("host:index")).status_code == 200
        return len(captured)

    BookingFactory(listing=host_client.listing, desks=1)
    few = queries()
    for _ in range(14):
        BookingFactory(listing=ListingFactory(host=host_client.listing.host), desks=1)
    html = host_client.get(reverse("host:index")).content.decode()
    assert "Waiting for your answer (15)" in html and html.count("answer by") == 10
    assert queries() <= few + 1  # the count, once there are more than ten
