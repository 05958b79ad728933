#!/usr/bin/env bash
# `make spike-cdn`: the tweet's visitors through Varnish (deploy/varnish/pivotdesk.vcl) in
# front of gunicorn as the Procfile starts it, on Postgres + Redis, and the limit.
#
#   1. migrate, seed SPIKE_LISTINGS (10,000) once, collectstatic; gunicorn + a worker
#      (db_worker, as the Procfile) with CDN_PURGE=varnish pointing at the Varnish;
#   2. varnishd with the repo's VCL (backend: that gunicorn), plus /__limit: the cached home
#      page's exact bytes (gzip) from a file, served by the same varnishd (std.fileread);
#   3. Locust (loadtest/locustfile.py) at SPIKE_USERS visitors, SPIKE_RATE a second, for
#      SPIKE_TIME, against Varnish: failures, p50/p99, hit ratio, requests reaching gunicorn;
#   4. wrk: the cached home page through Varnish vs /__limit, same connections, same bytes;
#   5. a host's edit (listing_update) until an anonymous GET through Varnish shows it.
# Report: loadtest/report-cdn/summary.txt. 127.0.0.1 only; every server is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/.venv/bin}
REPORT=$ROOT/loadtest/report-cdn
SPIKE_DB=${SPIKE_DB:-pivotdesk_spike}
PG=${SPIKE_PG:-postgres://root@127.0.0.1:5432}
SPIKE_USERS=${SPIKE_USERS:-1000}
SPIKE_RATE=${SPIKE_RATE:-100}
SPIKE_TIME=${SPIKE_TIME:-90s}
SPIKE_LISTINGS=${SPIKE_LISTINGS:-10000}
CEILING_SECONDS=${CEILING_SECONDS:-8}
# Locust processes (one core each): one cannot make 10,000 visitors' requests on its own.
SPIKE_PROCESSES=${SPIKE_PROCESSES:-1}
# SPIKE_NICE=10: Locust yields the cores to the servers, as if it ran on another machine
# (its own figures then include its waiting; Varnish's and the origin's do not).
SPIKE_NICE=${SPIKE_NICE:-0}
VARNISHD=${VARNISHD:-$(command -v varnishd || echo /usr/sbin/varnishd)}
VARNISHNCSA=${VARNISHNCSA:-$(command -v varnishncsa || echo /usr/bin/varnishncsa)}

export DJANGO_SETTINGS_MODULE=pivotdesk.settings.base
export DATABASE_URL=${SPIKE_DATABASE_URL:-$PG/$SPIKE_DB}
export REDIS_URL=${SPIKE_REDIS_URL:-redis://127.0.0.1:6379/15}
export DEBUG=0 SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1,localhost TRUSTED_PROXY_COUNT=2
export SECRET_KEY=${SECRET_KEY:-spike-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export MEDIA_ROOT=${MEDIA_ROOT:-$ROOT/media/spike}
export SITE_URL=http://127.0.0.1
unset BASIC_AUTH SENTRY_DSN AWS_STORAGE_BUCKET_NAME || true
export PATH=$BIN:$PATH
export GEVENT_RESOLVER=${GEVENT_RESOLVER:-block}  # as spike.sh: no DNS thread pool for an IP
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

mkdir -p "$REPORT"
rm -f "$REPORT"/*
WORK=$(mktemp -d /tmp/pivotdesk-spike-cdn.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do timeout 30 tail --pid="$pid" -f /dev/null 2>/dev/null || true; done
  grep -v -E '^(127\.0\.0\.1 |at=)' "$WORK/gunicorn.log" 2>/dev/null | tail -100 > "$REPORT/gunicorn-errors.log" || true
  cp "$WORK/varnishd.log" "$WORK/fetches.log" "$REPORT/" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() {
  for _ in $(seq 150); do curl -s -o /dev/null --max-time 2 "$1" && return 0; sleep 0.2; done
  echo "server at $1 did not come up" >&2; return 1
}
step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
[ -x "$VARNISHD" ] || { echo "varnishd not found: apt-get install varnish varnish-modules" >&2; exit 1; }

step "migrate, seed ($SPIKE_LISTINGS listings, once), collectstatic"
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "Postgres is not running on 127.0.0.1:5432" >&2; exit 1; }
psql "$PG/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$SPIKE_DB'" | grep -q 1 \
  || psql "$PG/postgres" -qc "CREATE DATABASE $SPIKE_DB"
timeout 300 python manage.py migrate --noinput -v0
have=$(python manage.py shell -v 0 -c "from listings.models import Listing; print(Listing.objects.published().count())" | tail -1)
[ "$have" -ge "$SPIKE_LISTINGS" ] || timeout 900 python manage.py seed_demo --listings "$SPIKE_LISTINGS"
timeout 300 python manage.py collectstatic --noinput -v0
python manage.py shell -v 0 -c "from django.core.cache import cache; cache.clear()"
python manage.py shell -v 0 -c "
from listings.models import Listing
for l in Listing.objects.published().select_related('city').order_by('?')[:2000]:
    print(l.get_absolute_url())" | grep '^/' > "$WORK/urls.txt"

step "gunicorn and a worker as the Procfile starts them, varnishd with the repo's VCL"
PORT=$(free_port); VPORT=$(free_port)
export CDN_PURGE=varnish CDN_PURGE_URLS=http://127.0.0.1:$VPORT/
WEB=$(sed -n 's/^web: *//p' Procfile)
WORKER=$(sed -n 's/^worker: *//p' Procfile)
( export PORT GUNICORN_BIND=127.0.0.1:$PORT; exec bash -c "exec $WEB" ) > "$WORK/gunicorn.log" 2>&1 &
PIDS+=("$!")
( exec bash -c "exec $WORKER" ) > "$WORK/worker.log" 2>&1 &
PIDS+=("$!")
wait_up "http://127.0.0.1:$PORT/healthz"
URL=http://127.0.0.1:$VPORT
curl -s -H 'Accept-Encoding: gzip' -o "$WORK/limit.body" "http://127.0.0.1:$PORT/"
# The repo's VCL with its backend here, plus /__limit: the same bytes from a file.
sed -e "s/\.port = \"8000\";/.port = \"$PORT\";/" \
    -e 's|^sub vcl_recv {|sub vcl_recv {\n    if (req.url == "/__limit") { return (synth(200, "OK")); }|' \
    deploy/varnish/pivotdesk.vcl > "$WORK/spike.vcl"
cat >> "$WORK/spike.vcl" <<VCL
# As the platform's router would behind the CDN: the origin's queue time starts when Varnish
# asks it, not when the load generator (which may wait for a core itself) stamped the request.
sub vcl_backend_fetch {
    set bereq.http.X-Request-Start = "t=" + std.real2integer(std.time2real(now, 0.0) * 1000, 0);
}
sub vcl_synth {
    if (req.url == "/__limit") {
        set resp.http.Content-Type = "text/html; charset=utf-8";
        set resp.http.Content-Encoding = "gzip";
        set resp.body = std.fileread("$WORK/limit.body");
        return (deliver);
    }
}
VCL
"$VARNISHD" -F -j none -n "$WORK/varnish" -a "127.0.0.1:$VPORT" -T none -f "$WORK/spike.vcl" \
  -s malloc,512m > "$WORK/varnishd.log" 2>&1 &
PIDS+=("$!")
wait_up "$URL/healthz"
vstat() { varnishstat -n "$WORK/varnish" -1 -f "MAIN.$1" | awk '{print $2}'; }

step "spike through Varnish: $SPIKE_USERS visitors at $SPIKE_RATE/s for $SPIKE_TIME"
ORIGIN_BEFORE=$(grep -c '^at=' "$WORK/gunicorn.log" || true)
PAGES_BEFORE=$(grep '^at=' "$WORK/gunicorn.log" | grep -c -v -E 'path="/(static|media)/' || true)
HIT0=$(vstat cache_hit); MISS0=$(vstat cache_miss)
# Every fetch Varnish makes from the origin, as it sent it: which were a URL's first.
"$VARNISHNCSA" -n "$WORK/varnish" -b -F '%U%q' -w "$WORK/fetches.log" &
NCSA=$!
PIDS+=("$NCSA")
# And every visitor request with the time Varnish took to answer it (%D, µs): the CDN's own
# latency, apart from the load generator's waiting for a core.
"$VARNISHNCSA" -n "$WORK/varnish" -c -F '%D %{Varnish:handling}x %U' -w "$WORK/served.log" &
NCSA_C=$!
PIDS+=("$NCSA_C")
SPIKE_URLS=$WORK/urls.txt timeout 600 nice -n "$SPIKE_NICE" locust -f loadtest/locustfile.py --headless \
  -u "$SPIKE_USERS" -r "$SPIKE_RATE" -t "$SPIKE_TIME" --stop-timeout 10 --host "$URL" \
  --processes "$SPIKE_PROCESSES" --csv "$REPORT/spike" --only-summary --loglevel WARNING > "$REPORT/locust.txt" 2>&1 \
  || echo "locust exited with $? (failures are in the report)"
HITS=$(( $(vstat cache_hit) - HIT0 )); MISSES=$(( $(vstat cache_miss) - MISS0 ))
sleep 1; kill "$NCSA" "$NCSA_C" 2>/dev/null || true
ORIGIN=$(( $(grep -c '^at=' "$WORK/gunicorn.log" || true) - ORIGIN_BEFORE ))
# Pages only (not CSS, JS or photos): what the "< 1 % of page requests" target counts.
ORIGIN_PAGES=$(( $(grep '^at=' "$WORK/gunicorn.log" | grep -c -v -E 'path="/(static|media)/' || true) - PAGES_BEFORE ))

step "the cached page through Varnish vs the same bytes from a file through the same Varnish"
curl -s -o /dev/null "$URL/"
for target in "$URL/" "$URL/__limit"; do
  timeout $((CEILING_SECONDS + 30)) wrk -t2 -c50 -d"${CEILING_SECONDS}s" -H 'Accept-Encoding: gzip' "$target" \
    | awk -v t="$target" '/Requests\/sec/ {print t, $2}' >> "$WORK/ceiling.txt"
done

step "a host's edit through the cache"
EDIT=$(python manage.py shell -v 0 -c "
import time, requests
from listings.models import Listing
from listings.services import listing_update
listing = Listing.objects.published().select_related('city').order_by('?').first()
url = '$URL' + listing.get_absolute_url()
requests.get(url); requests.get(url)
title = 'Edited %d' % time.time_ns()
listing_update(listing=listing, data={'title': title})
start = time.monotonic()
while title not in requests.get(url).text and time.monotonic() - start < 30:
    time.sleep(0.02)
print(f'{(time.monotonic() - start) * 1000:.0f}')" | tail -1)

step "summary"
python3 - "$REPORT/spike_stats.csv" "$HITS" "$MISSES" "$ORIGIN" "$WORK/ceiling.txt" "$EDIT" \
  "$SPIKE_USERS" "$SPIKE_RATE" "$SPIKE_TIME" "$SPIKE_LISTINGS" "$ORIGIN_PAGES" "$WORK/fetches.log" \
  "$WORK/served.log" "$WORK/gunicorn.log" "$SPIKE_NICE" "$ORIGIN_BEFORE" <<'PY' | tee "$REPORT/summary.txt"
import csv, re, sys
(stats, hits, misses, origin, ceiling, edit, users, rate, time_, listings, origin_pages, fetches,
 served, gunicorn_log, nice, origin_before) = sys.argv[1:]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else 0


try:
    fetched = [u for u in open(fetches).read().split() if not u.startswith(("/static/", "/media/"))]
except OSError:
    fetched = []
rows = list(csv.DictReader(open(stats)))
row = next(r for r in rows if r["Name"] == "Aggregated")
pages = sum(int(r["Request Count"]) for r in rows if r["Name"] not in ("Aggregated", "static", "media"))
hits, misses, origin, origin_pages = int(hits), int(misses), int(origin), int(origin_pages)
rps = [float(line.split()[1]) for line in open(ceiling)]
print(f"{users} visitors at {rate}/s for {time_}, {listings} listings, through Varnish"
      + (f" (Locust at nice {nice})" if nice != "0" else ""))
print(f"requests {row['Request Count']}, failures {row['Failure Count']}, "
      f"p50 {row['50%']} ms, p99 {row['99%']} ms")
print(f"Varnish hit ratio {hits / max(hits + misses, 1):.1%} ({hits} hits, {misses} misses); "
      f"origin saw {origin} requests ({origin / max(int(row['Request Count']), 1):.1%} of all)")
print(f"pages: {pages} requested, {origin_pages} reached the origin "
      f"({origin_pages / max(pages, 1):.1%}; target < 1%)")
# A URL's first request reaches the origin through any cache: the floor for this visitor mix.
first = len(set(fetched))
print(f"origin page fetches seen by varnishncsa: {len(fetched)}, of which {first} were a URL's "
      f"first ({first / max(pages, 1):.1%} of pages: no cache can do better), "
      f"{len(fetched) - first} repeats")
try:
    answered = [line.split()[:2] for line in open(served) if line[:1].isdigit()]
except OSError:
    answered = []
for kind, wanted in (("all", None), ("hits", "hit"), ("misses and passes", ("miss", "pass"))):
    took = [int(us) / 1000 for us, how in answered if wanted is None or how in wanted]
    print(f"Varnish's own time to answer, {kind} (varnishncsa %D, {len(took)}): p50 "
          f"{pct(took, 0.5):.1f} ms, p99 {pct(took, 0.99):.1f} ms, max {max(took, default=0):.0f} ms")
timing = re.compile(r'service=(\d+)ms queue=(\d+|-)')
spike_lines = [line for line in open(gunicorn_log) if line.startswith("at=")]
spike_lines = spike_lines[int(origin_before) : int(origin_before) + int(origin)]
origin_ms = [int(m[1]) + (int(m[2]) if m[2] != "-" else 0)
             for line in spike_lines if (m := timing.search(line))]
print(f"the origin's time (request log, service + queue, {len(origin_ms)} requests): "
      f"p50 {pct(origin_ms, 0.5)} ms, p99 {pct(origin_ms, 0.99)} ms")
print(f"cached page {rps[0]:.0f} req/s, same bytes from a file {rps[1]:.0f} req/s: "
      f"{rps[0] / rps[1]:.2f} of the limit (target >= 0.5)")
print(f"a host's edit visible through Varnish {edit} ms after its commit (target < 1000)")
PY
