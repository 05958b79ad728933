"""Hostile values: what a bot, a fuzzer or a fat finger sends."""

from hypothesis import strategies as st

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "-0",
    "1e309",
    "NaN",
    "inf",
    "99999999999999999999999999",
    "2026-13-45",
    "0000-00-00",
    "9999-12-31",
    "1.5",
    "abc",
    "\x00",
    "a\x00b",
    "%00",
    "'; DROP TABLE listings_listing; --",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "../../etc/passwd",
    "\u202e\ufeff\u200b",
    "😀" * 10,
    "x" * 5000,
    "${jndi:ldap://x}",
    "{{7*7}}",
]

nasty = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(str),
)
