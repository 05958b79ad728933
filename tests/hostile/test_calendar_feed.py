"""Calendar feed addresses fed garbage: a 404 (or the host login for /host/ pages), never a
5xx, never someone's calendar."""

from django.test import Client
from hypothesis import given, settings

from calendars.services import calendar_feed_get_or_create

from .strategies import nasty

HOSTILE = settings.get_profile("hostile")


@settings(HOSTILE)
@given(token=nasty)
def test_feed_tokens(world, token):
    feed = calendar_feed_get_or_create(host=world["host_a"])
    token = token.replace("/", "").replace("?", "").replace("#", "")
    response = Client().get(f"/host/calendar/{token}.ics")
    assert response.status_code in {302, 404} or token == feed.token, response.status_code
    assert b"VCALENDAR" not in response.content
