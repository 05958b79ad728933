from django import template

from waitlist import selectors

register = template.Library()


@register.simple_tag
def waitlist_place_on(user, listing):
    """``user``'s open place in ``listing``'s line (with ``ahead``), or None. No query for a
    visitor: anonymous pages are cached and shared, and show nobody's place."""
    if not getattr(user, "is_authenticated", False):
        return None
    return selectors.waitlist_open_entry(user=user, listing=listing)
