import pytest

from .localstripe import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, LocalStripe


@pytest.fixture(scope="session")
def localstripe_server():
    """One localstripe for this test process (its state file is fixed: one per run)."""
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture
def localstripe(localstripe_server, settings):
    """localstripe emptied, and the site's Stripe settings pointing at it."""
    localstripe_server.reset()
    settings.STRIPE_API_BASE = localstripe_server.base
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_S = 5
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return localstripe_server
