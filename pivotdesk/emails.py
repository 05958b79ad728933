"""Email headers are single lines. Whatever a member typed (a listing title, a name) reaches
a header only through ``header_text``, and fields that feed headers refuse line breaks with
``validate_single_line``: a CR or LF in a header is refused by the mail library (every email
of that listing would fail) or, worse, starts a header of the sender's choosing."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

# Every character str.splitlines() breaks on (CR, LF, VT, FF, FS, GS, RS, NEL, LS, PS), tabs,
# and the other C0/C1 controls.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
SUBJECT_MAX_LENGTH = 200
SINGLE_LINE = "Use one line: no line breaks or control characters."


def header_text(text: str, *, max_length: int = SUBJECT_MAX_LENGTH) -> str:
    """``text`` as one safe header line: controls and line breaks become spaces, runs of
    spaces one, at most ``max_length`` characters (an ellipsis says it was cut)."""
    line = " ".join(_UNSAFE.sub(" ", str(text)).split())
    return line if len(line) <= max_length else line[: max_length - 1].rstrip() + "…"


def validate_single_line(value: str) -> None:
    """Model/form validator for fields that end up in an email header."""
    if _UNSAFE.search(value or ""):
        raise ValidationError(SINGLE_LINE, code="single_line")


def site_domain() -> str:
    """The site's host name (from SITE_URL): the domain of Message-IDs and the no-reply
    address, so both name the site the email is about."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"
