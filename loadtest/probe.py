"""Uncached search (or its stand-in) one request at a time: each request is a page of its
own, so every one renders. The page cache keys only on parameters the page reads, so a
unique ``page`` past the last one (the page answers with page 1 and a note) makes each new.
Prints client-side times; spike.sh takes server times from the request log (``service=…ms``)
of the probe's window.

    python loadtest/probe.py http://127.0.0.1:8000 1 200
"""

import http.client
import random
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from searches import CITIES, search_query  # noqa: E402


def main(url, search, count):
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    rng = random.Random(6)
    times, statuses = [], {}
    for n in range(count):
        query = f"{search_query(rng)}&page={100_000 + n}"
        path = f"/spaces/?{query}" if search else f"/spaces/{rng.choice(CITIES)}/?{query}"
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.getheader("X-Page-Cache") not in (None, "miss"):
            print(f"unexpected cache {response.getheader('X-Page-Cache')} for {path}")
    times.sort()
    q = statistics.quantiles(times, n=100)
    print(f"requests {count} statuses {statuses}")
    print(f"client ms p50 {q[49]:.1f} p95 {q[94]:.1f} max {times[-1]:.1f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]))
