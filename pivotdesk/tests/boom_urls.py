"""A URLconf with a view that fails while a signed-in user posts personal data (Sentry test)."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from accounts.models import User


@csrf_exempt
def boom(request, **secrets):
    # The personal data arrives with the request (not as literals here: Sentry does send
    # source lines around the failing one, and those are code, not PII).
    request.user = User(pk=7, email=request.POST["email"], name=request.POST["name"])
    message = request.POST["message"]  # noqa: F841  (a local variable Sentry must not ship)
    raise RuntimeError("booking capacity exploded")


urlpatterns = [path("boom/", boom), path("boom/<uidb64>/<token>/", boom)]
