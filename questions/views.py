from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from accounts.throttle import rate_limited_response, seconds_to_wait
from listings.models import Listing

from . import selectors, services
from .forms import MessageForm, QuestionForm

# Every page here is about one person's messages: never in a shared cache.
private = cache_control(private=True, no_cache=True)

# One budget per member for every message written here, questions and replies alike:
# enough for anyone shopping for a desk or answering guests, too few for someone mailing
# every host (or one host over and over) through the site.
RATE_GROUP = "questions-message"


def _over_rate(request):
    """Count a POST against the member's budget, ``settings.QUESTIONS_RATE``
    (``accounts.throttle.seconds_to_wait``, as sign-ups are counted). Over it, the answer:
    a 429 page that says when to try again (and ``Retry-After``); the view then sends and
    saves nothing. None while within it. Views call it once the space or conversation is
    known to be the member's to write to: a forged id stays a 404."""
    wait = seconds_to_wait(request, group=RATE_GROUP, key="user", rate=settings.QUESTIONS_RATE)
    if not wait:
        return None
    return rate_limited_response(request, wait, template="questions/rate_limited.html")


def _conversation_or_404(request, pk):
    """The conversation if the user is its guest or its space's host; 404 for anyone else."""
    return get_object_or_404(selectors.conversation_for_viewer(user=request.user, pk=pk))


@private
@login_required
def question_ask(request, city, slug):
    listing = get_object_or_404(
        Listing.objects.published().select_related("city", "neighborhood", "host"),
        city__slug=city,
        slug=slug,
    )
    if request.method == "POST" and (limited := _over_rate(request)):
        return limited
    form = QuestionForm(request.POST or None)
    if form.is_valid():
        try:
            message = services.question_ask(
                guest=request.user, listing=listing, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Sent. You'll get the host's answer by email.")
            return redirect(message.conversation)
    return render(
        request,
        "questions/question_form.html",
        {
            "form": form,
            "listing": listing,
            "own": listing.host_id == request.user.pk,
            "open": selectors.open_conversation(guest=request.user, listing_id=listing.pk),
        },
        status=400 if form.errors else 200,
    )


@private
@login_required
def conversation_list(request):
    conversations = list(selectors.conversations_for_user(user=request.user))
    return render(
        request,
        "questions/conversation_list.html",
        {
            "as_guest": [c for c in conversations if c.guest_id == request.user.pk],
            "as_host": [c for c in conversations if c.listing.host_id == request.user.pk],
        },
    )


def _detail(request, conversation, form=None, status=200):
    return render(
        request,
        "questions/conversation_detail.html",
        {
            "conversation": conversation,
            "is_host": conversation.listing.host_id == request.user.pk,
            "form": form or MessageForm(),
        },
        status=status,
    )


@private
@login_required
def conversation_detail(request, pk):
    return _detail(request, _conversation_or_404(request, pk))


@private
@login_required
@require_POST
def conversation_reply(request, pk):
    conversation = _conversation_or_404(request, pk)
    if limited := _over_rate(request):
        return limited
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.question_reply(
                conversation=conversation, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(conversation)
    return _detail(request, conversation, form=form, status=400)


@private
@login_required
@require_POST
def conversation_close(request, pk):
    conversation = _conversation_or_404(request, pk)
    services.conversation_close(conversation=conversation, by=request.user)
    messages.success(request, "Closed. A new question about this space starts a new one.")
    return redirect(conversation)
