"""A team in a real browser: the admin creates a team and invites a teammate by email; the
teammate opens the link, joins, and sees the team's booking and its thread; the admin is told
why the team cannot close while its request waits."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import axe_violations, describe, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_admin_invites_a_member_who_then_sees_the_team_booking(
    new_context, site_data, run_jobs, shot, page_problems
):
    from accounts.tests.factories import UserFactory

    admin_user = UserFactory(email="lee@crew.test", name="Lee Admin")
    UserFactory(email="kai@crew.test", name="Kai Member")
    listing = site_data["listing"]

    admin = new_context().new_page()
    log_in(admin, admin_user.email)
    admin.goto("/accounts/teams/")
    admin.get_by_label("Team name").fill("Rocket Crew")
    admin.get_by_label("Billing email").fill("pay@crew.test")
    admin.get_by_role("button", name="Create team").click()
    expect(admin.get_by_role("heading", name="Rocket Crew", level=1)).to_be_visible()
    admin.get_by_label("Invite by email").fill("kai@crew.test")
    admin.get_by_role("button", name="Send invite").click()
    expect(admin.get_by_text("Invite sent to kai@crew.test")).to_be_visible()
    assert describe(axe_violations(admin, "team-page")) == ""
    shot(admin, "team-page")

    # The admin books two desks for the team.
    admin.goto(f"{listing.get_absolute_url()}book/")
    admin.get_by_label("Desks", exact=True).fill("2")
    start = timezone.localdate() + datetime.timedelta(days=10)
    admin.get_by_label("Move-in date").fill(start.isoformat())
    admin.get_by_label("Term (months)").fill("3")
    admin.get_by_label("Book for").select_option(label="Rocket Crew")
    admin.get_by_role("button", name=re.compile("Request desks|Book desks")).click()
    expect(admin.get_by_text("booked by Lee Admin")).to_be_visible()
    booking_url = admin.url

    run_jobs()
    invite = next(m for m in mail.outbox if m.to == ["kai@crew.test"])
    link = re.search(r"https?://\S+/accounts/teams/invite/\S+", invite.body)[0]
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]

    member = new_context().new_page()
    log_in(member, "kai@crew.test")
    member.goto(path)
    member.get_by_role("button", name="Join Rocket Crew").click()
    expect(member.get_by_text("You joined Rocket Crew.")).to_be_visible()

    member.goto("/bookings/")
    expect(member.get_by_role("heading", name="Your teams' bookings")).to_be_visible()
    member.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(member).to_have_url(booking_url)
    member.get_by_label("Your message").fill("Kai here, joining the team.")
    member.get_by_role("button", name="Send").click()
    expect(member.get_by_text("Kai here, joining the team.")).to_be_visible()
    assert describe(axe_violations(member, "team-booking")) == ""
    shot(member, "team-booking")

    # The team's invoices, one link from its page (none yet: the request waits).
    member.goto("/accounts/teams/")
    member.get_by_role("link", name="Rocket Crew").click()
    member.get_by_role("link", name="Team invoices").click()
    expect(member.get_by_role("heading", name="Rocket Crew's invoices", level=1)).to_be_visible()
    expect(member.get_by_label("Team")).to_have_value(re.compile(r"^\d+$"))
    assert describe(axe_violations(member, "team-invoices")) == ""

    # The admin cannot close the team while its request waits for the host: the page says why.
    admin.goto("/accounts/teams/")
    admin.get_by_role("link", name="Rocket Crew").click()
    admin.get_by_role("link", name="Close this team…").click()
    expect(admin.get_by_role("alert")).to_contain_text("Rocket Crew can't be closed")
    expect(admin.get_by_role("alert")).to_contain_text("(waiting for the host)")
    expect(admin.get_by_role("button", name="Close the team")).to_have_count(0)
    assert describe(axe_violations(admin, "team-close")) == ""
    shot(admin, "team-close")
    assert page_problems == []


def test_a_closed_team_a_member_leaves_and_its_admin_reopens(
    new_context, transactional_db, shot, page_problems
):
    from accounts.tests.factories import UserFactory
    from teams.services import team_close
    from teams.tests.factories import TeamFactory, add_member

    admin_user = UserFactory(email="lee@crew.test", name="Lee Admin")
    team = TeamFactory(name="Rocket Crew", admin=admin_user)
    add_member(team, UserFactory(email="kai@crew.test", name="Kai Member"))
    team_close(team=team, by=admin_user)

    member = new_context().new_page()
    log_in(member, "kai@crew.test")
    member.goto(team.get_absolute_url())
    expect(member.get_by_text("gives up its history")).to_be_visible()
    assert describe(axe_violations(member, "closed-team-member")) == ""
    member.get_by_role("button", name="Leave this team").click()
    expect(member.get_by_text("You left the team.")).to_be_visible()
    expect(member.get_by_role("link", name="Rocket Crew")).to_have_count(0)

    admin = new_context().new_page()
    log_in(admin, admin_user.email)
    admin.goto(team.get_absolute_url())
    expect(admin.get_by_role("heading", name="Reopen the team")).to_be_visible()
    assert describe(axe_violations(admin, "closed-team-admin")) == ""
    shot(admin, "closed-team-admin")
    admin.get_by_role("button", name="Reopen the team").click()
    expect(admin.get_by_text("Rocket Crew is open again")).to_be_visible()
    expect(admin.get_by_role("button", name="Send invite")).to_be_visible()
    shot(admin, "reopened-team")
    assert page_problems == []


def test_a_member_makes_their_own_booking_the_teams(new_context, site_data, shot, page_problems):
    from accounts.tests.factories import UserFactory
    from bookings.tests.factories import BookingFactory
    from teams.tests.factories import TeamFactory, add_member

    admin_user = UserFactory(email="lee@crew.test", name="Lee Admin")
    team = TeamFactory(name="Rocket Crew", admin=admin_user)
    maker = add_member(team, UserFactory(email="kai@crew.test", name="Kai Member")).user
    booking = BookingFactory(listing=site_data["listing"], guest=maker, desks=2, months=3)

    page = new_context().new_page()
    log_in(page, maker.email)
    page.goto(booking.get_absolute_url())
    page.get_by_label("Team", exact=True).select_option(label="Rocket Crew")
    assert describe(axe_violations(page, "team-move")) == ""
    shot(page, "team-move")
    page.get_by_role("button", name="Make this a team booking").click()
    expect(page.get_by_text("This is now a booking of Rocket Crew")).to_be_visible()
    expect(page.get_by_text("Made a booking of the team Rocket Crew")).to_be_visible()
    expect(page.get_by_role("button", name="Make this a team booking")).to_have_count(0)

    admin = new_context().new_page()
    log_in(admin, admin_user.email)
    admin.goto(booking.get_absolute_url())
    expect(admin.get_by_text("booked by Kai Member")).to_be_visible()
    assert page_problems == []
