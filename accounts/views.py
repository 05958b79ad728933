import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from .forms import AccountCloseForm, EmailChangeForm, PasswordResetForm, ProfileForm, SignupForm
from .links import email_change_from_token, signin_link_user
from .selectors import account_close_blockers
from .services import (
    host_enable,
    user_close,
    user_email_change,
    user_email_change_request,
    user_signup,
    user_update,
)
from .throttle import rate_limit

# Sign-up logs in without authenticate(); name the backend that will load the user back.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request, default="/"):
    """The ``next`` the visitor was going to, if it is a path on this site; else ``default``."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
@rate_limit("signup")
def signup(request):
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    form = SignupForm(request.POST or None)
    if form.is_valid():
        try:
            user_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                name=form.cleaned_data["name"],
                company=form.cleaned_data["company"],
                next_url=next_url,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # The same answer whether or not the address already had an account.
            return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


@sensitive_variables("token")
@require_http_methods(["GET", "POST"])
def signin_link(request, token):
    """A sign-in link from the welcome email. GET only shows a button, so a mail scanner that
    follows links cannot use the link up; the POST logs in and goes on to ``next``."""
    user = signin_link_user(token=token)
    next_url = _next_url(request)
    if user is not None and request.method == "POST":
        login(request, user, backend=MODEL_BACKEND)
        messages.success(request, f"Welcome to PivotDesk, {user.display_name}.")
        return redirect(next_url)
    response = render(
        request,
        "accounts/signin_link.html",
        {"valid": user is not None, "link_user": user, "next": next_url},
        status=200 if user is not None else 400,
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    # A copy: a form that fails validation must not change the user the page header shows.
    form = ProfileForm(request.POST or None, instance=copy.copy(request.user))
    if form.is_valid():
        try:
            user_update(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def become_host(request):
    if request.method == "POST":
        host_enable(user=request.user)
        messages.success(request, "You are a host now. Add your first space here.")
        return redirect(reverse("host:listings_listing_add"))
    return render(request, "accounts/become_host.html")


@method_decorator(rate_limit("password-reset"), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """Same page whether or not the email has an account (no enumeration). The email is a
    job for the worker (PasswordResetForm), so the answer takes as long either way.
    Rate-limited per client address and per email address."""

    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self):
        # Links are built from SITE_URL, never from the request's Host header.
        return {"site_url": settings.SITE_URL}


@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("email-change")
def email_change(request):
    form = EmailChangeForm(request.POST or None, user=request.user)
    if form.is_valid():
        try:
            new_email = user_email_change_request(
                user=request.user, new_email=form.cleaned_data["email"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"We sent a link to {new_email}. Your address changes when you open it there; "
                f"until then you log in with {request.user.email}.",
            )
            return redirect("accounts:profile")
    return render(request, "accounts/email_change_form.html", {"form": form})


def _email_change_page(request, *, status: int, **context) -> HttpResponse:
    response = render(request, "accounts/email_change_confirm.html", context, status=status)
    add_never_cache_headers(response)
    return response


@sensitive_variables("token")
@login_required
@require_http_methods(["GET", "POST"])
def email_change_confirm(request, token):
    """The link from the new address's email. GET only shows a button (mail scanners follow
    links); the POST makes the change. A forged, expired or spent link is a 400, another
    account's link a 404."""
    change = email_change_from_token(token=token)
    if change is None:
        return _email_change_page(request, status=400, problem="expired")
    if change.user.pk != request.user.pk:
        return _email_change_page(request, status=404, problem="other_account")
    if request.method == "POST":
        try:
            user_email_change(user=request.user, new_email=change.new_email)
        except ValidationError as exc:
            return _email_change_page(request, status=400, problem="refused", errors=exc.messages)
        messages.success(request, f"Your email address is now {change.new_email}.")
        return redirect("accounts:profile")
    return _email_change_page(request, status=200, new_email=change.new_email)


@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("account-close")
def account_close(request):
    form = AccountCloseForm(request.POST or None, user=request.user)
    if form.is_valid():
        try:
            user_close(user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            logout(request)
            messages.success(request, "Your account is closed. Thank you for using PivotDesk.")
            return redirect("/")
    blockers = [] if request.method == "POST" else account_close_blockers(user=request.user)
    return render(request, "accounts/account_close.html", {"form": form, "blockers": blockers})
