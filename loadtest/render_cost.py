"""CPU per cold render, in-process: what an uncached search and an uncached listing page cost
through the whole WSGI stack (request log, beta gate, page cache, Django), with the listing
cards and search counts not cached yet, as at the start of a spike.

The spike's p99 depends on this machine's speed at that minute as much as on the code; this
measures the code. Run it against the database `make spike` seeded, before and after a
change, on the same minute (it alternates two rounds of each kind):

    DATABASE_URL=postgres://root@127.0.0.1:5432/pivotdesk_spike \\
    REDIS_URL=redis://127.0.0.1:6379/14 python loadtest/render_cost.py

It empties that Redis database (use one nothing else uses; make spike's is 15).
"""

import io
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.dirname(os.path.abspath(__file__))]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pivotdesk.settings.base")
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/pivotdesk_spike")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.update(DEBUG="0", SECURE_SSL_REDIRECT="0", ALLOWED_HOSTS="127.0.0.1")
os.environ.setdefault("SECRET_KEY", "render-cost-" + "x" * 50)
os.environ.pop("BASIC_AUTH", None)

from searches import search_query  # noqa: E402

from pivotdesk.wsgi import application  # noqa: E402  (sets Django up)

SEARCHES = int(os.environ.get("RC_SEARCHES", 150))
LISTINGS = int(os.environ.get("RC_LISTINGS", 300))


def get(path, query=""):
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    status = []
    body = application(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(body)
    body.close()
    if not status[0].startswith("200"):
        raise SystemExit(f"{path}?{query}: {status[0]}")


def main():
    from django.core.cache import cache

    from listings.models import Listing

    paths = [
        listing.get_absolute_url()
        for listing in Listing.objects.published()
        .select_related("city")
        .order_by("?")[: 2 * LISTINGS]
    ]
    rng = random.Random(1)
    sys.stdout = open(os.devnull, "w")  # the request log  # noqa: SIM115
    results = {"search": [], "listing page": []}
    for round_ in range(2):
        cache.clear()
        get("/")  # imports, URLconf, first connections
        started = time.process_time()
        for n in range(SEARCHES):
            # A page number past the last (page 1 and a note): a page of its own, uncached.
            get("/spaces/", f"{search_query(rng)}&page={100_000 * (round_ + 1) + n}")
        results["search"].append((time.process_time() - started) / SEARCHES * 1000)
        started = time.process_time()
        for path in paths[round_ * LISTINGS : (round_ + 1) * LISTINGS]:
            get(path)
        results["listing page"].append((time.process_time() - started) / LISTINGS * 1000)
    sys.stdout = sys.__stdout__
    for kind, values in results.items():
        print(f"cold {kind}: " + ", ".join(f"{value:.1f}" for value in values) + " ms CPU")


if __name__ == "__main__":
    main()
