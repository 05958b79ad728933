from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.cache import cache_control
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.throttle import rate_limited_response, seconds_to_wait

from . import selectors, services
from .forms import InviteForm, MemberForm, ReopenForm, TeamForm
from .links import invite_from_token
from .models import Invite

# A person's teams: never in a shared cache.
private = cache_control(private=True, no_cache=True)

# Each invite emails an address the admin typed. One budget per member for every invite
# they send, whichever team it is for (``settings.TEAM_INVITE_RATE``): plenty to bring a
# team in, too few to use teams to mail strangers in bulk (docs/decisions/0235).
INVITE_RATE_GROUP = "teams-invite"


def _team_or_404(request, pk):
    """The team if the user is a member; 404 for anyone else (a forged or another team's id)."""
    return get_object_or_404(selectors.team_for_member(user=request.user, pk=pk))


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@private
@login_required
@require_http_methods(["GET", "POST"])
def team_list(request):
    """Your teams, and a form to create one."""
    form = TeamForm(request.POST or None)
    if form.is_valid():
        try:
            team = services.team_create(admin=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Team “{team.name}” created. Invite your teammates.")
            return redirect(team)
    teams = selectors.teams_for_user(user=request.user)
    return render(request, "teams/team_list.html", {"form": form, "teams": teams})


def _detail(request, team, invite_form=None, reopen_form=None, status=200):
    memberships = list(team.memberships.all())
    me = next(m for m in memberships if m.user_id == request.user.pk)
    return render(
        request,
        "teams/team_detail.html",
        {
            "team": team,
            "memberships": memberships,
            "me": me,
            "invite_form": invite_form or InviteForm(),
            "reopen_form": reopen_form,
        },
        status=status,
    )


@private
@login_required
def team_detail(request, pk):
    return _detail(request, _team_or_404(request, pk))


@private
@login_required
@require_POST
def team_invite(request, pk):
    team = _team_or_404(request, pk)  # a forged id stays a 404 and is not counted
    rate = settings.TEAM_INVITE_RATE
    wait = seconds_to_wait(request, group=INVITE_RATE_GROUP, key="user", rate=rate)
    if wait:
        return rate_limited_response(request, wait, template="teams/rate_limited.html")
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invite = services.invite_create(
                team=team, by=request.user, email=form.cleaned_data["email"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Invite sent to {invite.email}; it works for 7 days.")
            return redirect(team)
    return _detail(request, team, invite_form=form, status=400)


def _member_action(request, pk, action, done):
    team = _team_or_404(request, pk)
    form = MemberForm(request.POST)
    user = None
    if form.is_valid():
        user = User.objects.filter(pk=form.cleaned_data["user"]).first()
    if user is None:
        messages.error(request, services.TEAM_NOT_MEMBER)
        return redirect(team)
    try:
        action(team=team, by=request.user, user=user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, done(user))
        if user.pk == request.user.pk:
            return redirect("teams:list")
    return redirect(team)


@private
@login_required
@require_POST
def team_remove(request, pk):
    """The admin removes a member; a member removes themselves (leaves)."""
    return _member_action(
        request,
        pk,
        services.member_remove,
        lambda user: (
            "You left the team."
            if user.pk == request.user.pk
            else f"{user.display_name} is no longer a member."
        ),
    )


@private
@login_required
@require_POST
def team_handover(request, pk):
    return _member_action(
        request,
        pk,
        lambda team, by, user: services.admin_handover(team=team, by=by, to=user),
        lambda user: f"{user.display_name} is the team's admin now.",
    )


@private
@login_required
@require_POST
def team_invite_revoke(request, pk, invite_pk):
    team = _team_or_404(request, pk)
    invite = get_object_or_404(Invite, pk=invite_pk, team=team)
    try:
        services.invite_revoke(invite=invite, by=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"The invite for {invite.email} is withdrawn.")
    return redirect(team)


@private
@login_required
@require_http_methods(["GET", "POST"])
def team_close(request, pk):
    """GET: what closing the team does, or why it cannot be closed now; a button to confirm
    (``team_reopen`` undoes it). POST: close it. A non-member gets a 404 (as on every team
    URL), a member who is not the admin a 403."""
    team = _team_or_404(request, pk)
    others = [m for m in team.memberships.all() if m.user_id != request.user.pk]
    refusal = None
    if request.method == "POST":
        try:
            services.team_close(team=team, by=request.user)
        except ValidationError as exc:
            refusal = exc
        else:
            told = " Its other members are told by email." if others else ""
            messages.success(request, f"{team.name} is closed.{told}")
            return redirect(team)
    else:
        try:
            services.team_close_check(team=team, by=request.user, today=timezone.localdate())
        except ValidationError as exc:
            refusal = exc
    status = 200
    if refusal is not None:
        not_admin = getattr(refusal, "code", None) == services.NOT_ADMIN
        status = 403 if not_admin else (400 if request.method == "POST" else 200)
    context = {
        "team": team,
        "others": others,
        "refusal": _errors(refusal) if refusal is not None else "",
    }
    return render(request, "teams/team_close.html", context, status=status)


@private
@login_required
@require_POST
def team_reopen(request, pk):
    """The admin reopens a closed team (the button on its page). A non-member gets a 404 (as
    on every team URL), a member who is not the admin a 403, and reopening an open team is a
    form error (400) that changes nothing."""
    team = _team_or_404(request, pk)
    form = ReopenForm(request.POST)
    try:
        services.team_reopen(team=team, by=request.user)
    except ValidationError as exc:
        form.add_error(None, exc)
        status = 403 if getattr(exc, "code", None) == services.NOT_ADMIN else 400
        return _detail(request, team, reopen_form=form, status=status)
    messages.success(request, f"{team.name} is open again: book for it and invite members.")
    return redirect(team)


@sensitive_variables("token")
@require_http_methods(["GET", "POST"])
def invite_accept(request, token):
    """The invite link. GET shows the team and a button (a mail scanner following the link
    cannot spend it); a visitor without an account signs up (or logs in) and comes back here;
    the POST joins. A forged, expired, used or withdrawn link is a 404 page saying so."""
    invite = invite_from_token(token=token)
    if invite is None:
        response = render(request, "teams/invite_accept.html", {"invite": None}, status=404)
        add_never_cache_headers(response)
        return response
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.path})}")
        try:
            membership = services.invite_accept(invite=invite, user=request.user)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, f"You joined {membership.team.name}.")
            return redirect(membership.team)
    # Log in or sign up, both offered: the page never says whether the address has an account.
    response = render(request, "teams/invite_accept.html", {"invite": invite, "next": request.path})
    add_never_cache_headers(response)
    return response
