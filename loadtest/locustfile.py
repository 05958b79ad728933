"""Visitors from a tweet: they land, browse cities, search with filters, open listings, and
fetch what a browser fetches (CSS, JS, images; each asset once per visitor, as a browser
cache would), with think time between pages.

    locust -f loadtest/locustfile.py --headless -u 1000 -r 100 -t 90s --host http://127.0.0.1:8000

Environment: SPIKE_URLS (a file of listing paths, one a line, for deep links into the
long tail), SPIKE_SEARCH=0 when /spaces/ (search) is not there yet: filtered city pages
stand in (same caching behaviour: each distinct query string is its own page).
"""

import os
import random
import re
import time

from locust import FastHttpUser, between, task
from searches import CITIES, search_query

LISTING_LINK = re.compile(r'href="(/spaces/[a-z0-9-]+/[a-z0-9-]+/)"')
# Same-origin assets in src= and href= (a CDN's absolute URLs are not the dyno's). Two
# patterns with a literal prefix each: one alternation scanned every position, 5x slower.
ASSETS = (
    re.compile(r'src="(/(?:static|media)/[^"]+)"'),
    re.compile(r'href="(/(?:static|media)/[^"]+)"'),
)
SRCSET = re.compile(r'srcset="([^"]+)"')

SEARCH = os.environ.get("SPIKE_SEARCH", "1") == "1"
# SPIKE_CDN=1: a what-if, not the drill. CSS, JS and photos come from a CDN in front (as with
# STATIC_HOST and AWS_S3_CUSTOM_DOMAIN): only the first request for each asset URL, from any
# visitor, reaches the dyno (the CDN's miss); the rest are answered at the edge.
CDN = os.environ.get("SPIKE_CDN") == "1"
# SPIKE_PHOTOS=s3: photos as in production, where golive requires S3: the browser fetches them
# from the bucket (or its CDN), never from the dyno. CSS and JS still come from the dyno.
PHOTOS_ELSEWHERE = os.environ.get("SPIKE_PHOTOS") == "s3"
CDN_FETCHED = set()
DEEP_LINKS = []
if os.environ.get("SPIKE_URLS") and os.path.exists(os.environ["SPIKE_URLS"]):
    with open(os.environ["SPIKE_URLS"]) as urls:
        DEEP_LINKS = [line.strip() for line in urls if line.startswith("/")]


def webp_candidates(srcset):
    """[(url, width)] of the WebP candidates in a srcset ("a.webp 640w, b.webp 1600w")."""
    found = []
    for part in srcset.split(","):
        url, _, descriptor = part.strip().partition(" ")
        if url.endswith(".webp"):
            width = descriptor.strip().removesuffix("w")
            found.append((url, int(width) if width.isdigit() else 0))
    return found


def stamp():
    """Headers as the platform's router sets them: the server logs how long each request
    waited before a worker thread took it (queue=…ms in the request line)."""
    return {"X-Request-Start": str(round(time.time() * 1000))}


class Visitor(FastHttpUser):
    wait_time = between(2, 6)  # reading a page

    def on_start(self):
        self.rng = random.Random()
        self.assets = set()
        self.listings = []
        # Most arrive on the tweeted link: the home page or one listing.
        if DEEP_LINKS and self.rng.random() < 0.4:
            self.page(self.rng.choice(DEEP_LINKS[:20]), "listing (tweeted)")
        else:
            self.page("/", "home")

    def get(self, path, name):
        return self.client.get(path, name=name, headers=stamp(), catch_response=True)

    def page(self, path, name):
        with self.get(path, name) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            html = response.text or ""
        links = LISTING_LINK.findall(html)
        if links:
            self.listings = links[:24]
        self.fetch_assets(html)

    def fetch_assets(self, html):
        # A browser takes the WebP <source> of a <picture> and skips its JPEG <img src>, and
        # from a srcset it fetches one candidate: here the widest, a 2x screen's choice.
        webp = [
            max(candidates, key=lambda c: c[1])[0]
            for srcset in SRCSET.findall(html)
            if (candidates := webp_candidates(srcset))
        ]
        found = webp + [
            url
            for pattern in ASSETS
            for url in pattern.findall(html)
            if not (webp and "/media/" in url and url.endswith(".jpg"))
        ]
        for url in found:
            if url in self.assets or url.startswith("http"):
                continue
            if PHOTOS_ELSEWHERE and url.startswith("/media/"):
                continue
            self.assets.add(url)
            if CDN:
                if url in CDN_FETCHED:
                    continue
                CDN_FETCHED.add(url)
            # Any status >= 400 counts as a failure without a response context: the
            # load generator shares the 2 cores, so each request it makes should be cheap.
            self.client.get(url, name="static" if "/static/" in url else "media", headers=stamp())

    @task(1)
    def home(self):
        self.page("/", "home")

    @task(3)
    def city(self):
        self.page(f"/spaces/{self.rng.choice(CITIES)}/", "city")

    @task(3)
    def search(self):
        query = search_query(self.rng)
        if SEARCH:
            self.page(f"/spaces/?{query}", "search")
        else:
            self.page(f"/spaces/{self.rng.choice(CITIES)}/?{query}", "search (city stand-in)")

    @task(4)
    def listing(self):
        if self.listings and self.rng.random() < 0.7:
            self.page(self.rng.choice(self.listings), "listing")
        elif DEEP_LINKS:
            self.page(self.rng.choice(DEEP_LINKS), "listing (long tail)")
        else:
            self.page(f"/spaces/{self.rng.choice(CITIES)}/", "city")
