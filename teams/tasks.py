"""Team emails, sent by the worker: the invite with its link, and the news that a team was
closed. Sent once however often the job runs (jobs.services.email_send_once)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from jobs.services import email_send_once
from pivotdesk.emails import header_text

from .links import invite_link_make
from .models import Invite, Membership, Team


@task
def invite_email_send(*, invite_id: int) -> bool:
    """The invite email. The link is made here, not in the request: no token waits in the
    queue's table, and its seven days start when the email is made."""
    invite = Invite.objects.select_related("team", "invited_by").filter(pk=invite_id).first()
    if invite is None or not invite.is_pending:
        return False
    context = {
        "invite": invite,
        "link": invite_link_make(invite=invite),
        "days": settings.TEAM_INVITE_MAX_AGE // 86400,
        "site_url": settings.SITE_URL,
    }
    subject = f"{invite.invited_by.display_name} invited you to {invite.team.name} on PivotDesk"
    message = EmailMultiAlternatives(
        subject=header_text(subject),
        body=render_to_string("teams/email/invite.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invite.email],
    )
    message.attach_alternative(render_to_string("teams/email/invite.html", context), "text/html")
    return email_send_once(key=f"team-invite:{invite.pk}", message=message)


@task
def team_closed_email_send(*, team_id: int, user_id: int) -> bool:
    """Tell a member that their team was closed: what stays (past bookings, their messages
    and receipts) and what ends (booking for it, its invites)."""
    team = Team.objects.select_related("closed_by").filter(pk=team_id).first()
    membership = (
        Membership.objects.select_related("user").filter(team_id=team_id, user_id=user_id).first()
    )
    if team is None or not team.is_closed or membership is None:
        return False
    context = {
        "team": team,
        "user": membership.user,
        "by": team.closed_by.display_name if team.closed_by else "The team's admin",
        "bookings_url": settings.SITE_URL + reverse("bookings:list"),
    }
    message = EmailMultiAlternatives(
        subject=header_text(f"{team.name} is closed on PivotDesk"),
        body=render_to_string("teams/email/closed.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[membership.user.email],
    )
    message.attach_alternative(render_to_string("teams/email/closed.html", context), "text/html")
    return email_send_once(key=f"team-closed:{team.pk}:{user_id}", message=message)
