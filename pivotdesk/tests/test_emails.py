"""Header-safe text: what members type never breaks or adds an email header."""

import pytest
from django.core.exceptions import ValidationError

from listings.tests.factories import ListingFactory
from pivotdesk.emails import SINGLE_LINE, header_text, validate_single_line


@pytest.mark.parametrize(
    "typed, header",
    [
        ("Loft\r\nBcc: x@example.test", "Loft Bcc: x@example.test"),
        ("  Loft \n\n with\ta view ", "Loft with a view"),
        ("Loft\u2028\u2029\x85\x0b\x0c\x1c end", "Loft end"),
        ("Plain", "Plain"),
    ],
)
def test_header_text_is_one_clean_line(typed, header):
    assert header_text(typed) == header


def test_header_text_cuts_long_text_with_an_ellipsis():
    cut = header_text("word " * 100, max_length=20)
    assert len(cut) == 20 and cut.endswith("…")


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\u2028b", "a\x00b", "a\tb"])
def test_single_line_validator_refuses_breaks_and_controls(value):
    with pytest.raises(ValidationError) as exc:
        validate_single_line(value)
    assert exc.value.messages == [SINGLE_LINE]


@pytest.mark.django_db
def test_a_listing_title_with_a_line_break_is_a_form_error_not_a_saved_title():
    listing = ListingFactory()
    listing.title = "Sunny loft\r\nBcc: all@example.test"
    with pytest.raises(ValidationError) as exc:
        listing.full_clean()
    assert SINGLE_LINE in exc.value.message_dict["title"]
    validate_single_line("Sunny loft — Pearl St. & 9th")  # ordinary titles pass
