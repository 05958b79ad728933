"""golive's payment rows: a web request's worst wait on Stripe stays below the router's 30 s."""

from payments.golive import golive_rows
from pivotdesk.readiness import BLOCKER, OK

CHECK = "Stripe in a request"


def row(name: str):
    return next(r for r in golive_rows() if r.check == name)


def test_the_default_settings_keep_a_request_well_below_the_router(settings):
    settings.STRIPE_TIMEOUT_S, settings.STRIPE_MAX_NETWORK_RETRIES = 10, 2
    settings.STRIPE_REQUEST_BUDGET_S = 20
    verdict = row(CHECK)
    assert verdict.status == OK
    assert "20.0 s at worst" in verdict.detail


def test_a_budget_that_reaches_the_router_blocks(settings):
    settings.STRIPE_TIMEOUT_S, settings.STRIPE_MAX_NETWORK_RETRIES = 10, 2
    settings.STRIPE_REQUEST_BUDGET_S = 30
    verdict = row(CHECK)
    assert verdict.status == BLOCKER
    assert "30.0 s at worst" in verdict.detail
    assert "STRIPE_REQUEST_BUDGET_S" in verdict.detail


def test_a_large_budget_with_short_calls_passes_on_what_the_calls_take(settings):
    # The worst case is what the calls may take, not the budget: 3 calls of one 2 s try.
    settings.STRIPE_TIMEOUT_S, settings.STRIPE_MAX_NETWORK_RETRIES = 2, 0
    settings.STRIPE_REQUEST_BUDGET_S = 45
    assert row(CHECK).status == OK


def test_a_budget_of_nothing_blocks(settings):
    settings.STRIPE_REQUEST_BUDGET_S = 0
    assert row(CHECK).status == BLOCKER
