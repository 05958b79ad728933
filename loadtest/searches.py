"""The searches visitors make in the drill: shared by the locustfile, the uncached-search
probe and render_cost.py (this module imports nothing from Locust, whose import patches the
standard library for gevent)."""

CITIES = ("boulder", "denver")
TYPES = ("hot_desk", "dedicated_desk", "private_office")
SORTS = ("price", "-price", "newest")


def search_query(rng):
    params = {"city": rng.choice(CITIES)}
    if rng.random() < 0.7:
        params["type"] = rng.choice(TYPES)
    if rng.random() < 0.5:
        low = rng.choice((100, 150, 200, 250, 300))
        params["min_price"] = low
        params["max_price"] = low + rng.choice((200, 300, 400))
    if rng.random() < 0.4:
        params["desks"] = rng.choice((1, 2, 4, 6))
    if rng.random() < 0.3:
        params["sort"] = rng.choice(SORTS)
    if rng.random() < 0.2:
        params["page"] = rng.choice((2, 3))
    return "&".join(f"{k}={v}" for k, v in params.items())
