"""Reads for accounts."""

from .models import User
from .signals import account_closing


def account_close_blockers(*, user: User) -> list[str]:
    """Why ``user`` cannot close their account yet, in the words of the apps that hold
    something for them (``accounts.signals.account_closing``); empty when nothing does."""
    return [
        reason
        for _receiver, reasons in account_closing.send(sender=User, user=user)
        for reason in reasons or ()
    ]
