"""The demo team: the demo guest's company as a team, a second member, and one team booking
with the demo host, so `make run` shows team accounts. Made by the services, idempotent."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings import services as booking_services
from bookings.emails import booking_emails_muted
from bookings.models import Booking
from listings.models import Listing
from teams import services as team_services
from teams.models import Invite, Team

DEMO_MEMBER = ("sam@pivotdesk.test", "Sam Ortiz")
DEMO_MEMBER_PASSWORD = "pivotdesk-demo-member"


def seed_demo_team(*, guest: User, host: User) -> str:
    """Create the demo team once (admin: ``guest``) with a member and an approved team
    booking on one of ``host``'s listings; return a line for the command's output."""
    team = Team.objects.filter(memberships__user=guest, name=guest.company).first()
    email, name = DEMO_MEMBER
    if team is None:
        member = User.objects.filter(email=email).first()
        if member is None:
            member = User.objects.create_user(email=email, password=DEMO_MEMBER_PASSWORD, name=name)
        listing = (
            Listing.objects.published()
            .filter(host=host, instant_book=False, desks__gte=4)
            .exclude(bookings__guest=guest)
            .order_by("pk")
            .first()
        )
        try:
            with transaction.atomic(), booking_emails_muted():
                team = team_services.team_create(
                    admin=guest, name=guest.company, billing_email=f"billing@{email.split('@')[1]}"
                )
                # The invite is accepted at once: the demo mails no one (no job is run).
                invite = Invite.objects.create(team=team, email=member.email, invited_by=guest)
                team_services.invite_accept(invite=invite, user=member)
                if listing is not None:
                    booking = booking_services.booking_request(
                        guest=member,
                        listing=listing,
                        desks=2,
                        start=max(
                            timezone.localdate() + timedelta(days=10), listing.available_from
                        ),
                        months=max(listing.min_term_months, 6),
                        message="For the two of us on the Tiny Rocket team.",
                        team=team,
                    )
                    booking_services.booking_approve(booking=booking, host=host)
        except ValidationError as exc:
            return f"  demo team skipped: {' '.join(exc.messages)}"
    bookings = Booking.objects.filter(team=team).count()
    return (
        f"  demo team:  {team.name} (admin {guest.email}; member {email} / "
        f"{DEMO_MEMBER_PASSWORD}), {bookings} team booking{'s' if bookings != 1 else ''}"
    )
