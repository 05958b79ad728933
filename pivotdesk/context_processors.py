from django.conf import settings


def site(request):
    """Values every template may need: the absolute site URL for canonical and OG tags."""
    return {"SITE_URL": settings.SITE_URL, "DEBUG": settings.DEBUG}
