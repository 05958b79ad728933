"""Read loadtest/report/ and print the summary (markdown) against the drill's targets."""

import argparse
import csv
import os
import re
import statistics
from pathlib import Path

REQUEST_LINE = re.compile(
    r" status=(?P<status>\d{3}) service=(?P<service>\d+)ms queue=(?P<queue>\d+|-)(?:ms)? "
    r"bytes=\d+ (?:cache=(?P<cache>\w+) )?"
)


def spread(values):
    """p50, p95, p99 and max of whole milliseconds, as the summary prints them."""
    q = statistics.quantiles(values, n=1000)
    return f"p50 {q[499]:.0f} ms, p95 {q[949]:.0f} ms, p99 {q[989]:.0f} ms, max {max(values)} ms"


def read_locust(report):
    rows = {}
    path = report / "spike_stats.csv"
    if path.exists():
        with path.open() as f:
            for row in csv.DictReader(f):
                rows[row["Name"]] = row
    return rows


def ms(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("report", type=Path)
    parser.add_argument("--tool", default="")
    parser.add_argument("--listings", default="10000")
    parser.add_argument("--search", default="1")
    parser.add_argument("--users", default="1000")
    parser.add_argument("--rate", default="100")
    parser.add_argument("--time", default="90s")
    args = parser.parse_args()
    report = args.report
    out = []
    say = out.append

    say("# Spike summary\n")
    if os.environ.get("SPIKE_CDN") == "1":
        say(
            "**What-if run (SPIKE_CDN=1), not the drill**: assets from a simulated CDN; only "
            "the first request for each asset URL reached the dyno.\n"
        )
    if os.environ.get("SPIKE_PHOTOS") == "s3":
        say(
            "**Photos as in production (SPIKE_PHOTOS=s3)**: the visitors' photos came from S3, "
            "not the dyno (golive requires S3); pages, CSS and JS did.\n"
        )
    rows = read_locust(report)
    agg = rows.get("Aggregated")
    if agg:
        total, failures = int(agg["Request Count"]), int(agg["Failure Count"])
        p50, p95, p99 = ms(agg["50%"]), ms(agg["95%"]), ms(agg["99%"])
        worst = ms(agg["Max Response Time"])
        say(f"Locust: {args.users} users at {args.rate}/s, {args.time}. Requests {total}, ")
        say(f"failures {failures}, {ms(agg['Requests/s']):.0f} req/s average; ")
        say(
            f"all requests p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms, "
            f"max {worst:.0f} ms.\n"
        )
        say("| request | count | fail | p50 ms | p95 ms | p99 ms | max ms |")
        say("|---|---:|---:|---:|---:|---:|---:|")
        for name, row in rows.items():
            say(
                f"| {name} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} | "
                f"{row['95%']} | {row['99%']} | {ms(row['Max Response Time']):.0f} |"
            )
        say("")
    else:
        total = failures = 0
        p99 = worst = float("nan")
        say("Locust produced no stats (see locust.txt).\n")

    # Errors inside the load generator (a visitor that crashed makes no requests at all).
    exceptions = 0
    exceptions_csv = report / "spike_exceptions.csv"
    if exceptions_csv.exists():
        with exceptions_csv.open() as f:
            exceptions = sum(int(row["Count"]) for row in csv.DictReader(f))
    if exceptions:
        say(f"**Locust raised {exceptions} exceptions** (spike_exceptions.csv): fix the drill.\n")

    # Server side: the request log of the spike window (service=…ms, status).
    requests = report / "spike_requests.log"
    lines = requests.read_text().splitlines() if requests.exists() else []
    # Each request line: status, service=…ms (worker time) and queue=…ms (from the load
    # generator's X-Request-Start stamp, as a router sets it, to a worker thread).
    server, waits, errors = [], [], 0
    pages = {}  # how the page cache answered: {"hit": [service ms, ...], "miss": ...}
    for line in lines:
        match = REQUEST_LINE.search(line)
        if match:
            server.append(int(match["service"]))
            errors += match["status"].startswith("5")
            if match["queue"] != "-":
                waits.append(int(match["queue"]))
            if match["cache"]:
                pages.setdefault(match["cache"], []).append(int(match["service"]))
    if len(server) >= 100:
        say(
            f"Server time (request log, {len(server)} requests during the spike): "
            f"{spread(server)}; 5xx: {errors}. The difference to Locust's times is time spent "
            "queued before a worker thread picked the request up, and in Locust itself (same "
            "2 cores).\n"
        )
    if pages:
        answers = ", ".join(f"{kind} {len(times)}" for kind, times in sorted(pages.items()))
        renders = pages.get("miss", [])
        say(
            f"Page cache (request log): {answers}. The misses are the renders"
            + (f", server time {spread(renders)}" if len(renders) >= 100 else "")
            + ".\n"
        )
    if len(waits) >= 100:
        say(
            f"Queue before a worker thread took the request (X-Request-Start to the request "
            f"log, {len(waits)} requests): {spread(waits)}.\n"
        )
    cpu_csv = report / "cpu.csv"
    if cpu_csv.exists():
        with cpu_csv.open() as f:
            samples = list(csv.DictReader(f))
        if samples:
            mean = {k: statistics.mean(float(row[k]) for row in samples) for k in samples[0]}
            busy = sum(float(row["machine"]) >= 190 for row in samples)
            say(
                f"CPU during the spike ({len(samples)} one-second samples, 200 % = both "
                f"cores): machine {mean['machine']:.0f} %, gunicorn workers "
                f"{mean['workers']:.0f} %, Locust {mean['locust']:.0f} %, Postgres "
                f"{mean['postgres']:.0f} %, Redis {mean['redis']:.0f} %; both cores "
                f"saturated (≥ 190 %) in {busy} of the {len(samples)} seconds"
                + (
                    f"; taken by the hypervisor (steal) {mean['stolen']:.0f} %, at most "
                    f"{max(float(row['stolen']) for row in samples):.0f} % in a second"
                    if "stolen" in samples[0]
                    else ""
                )
                + ".\n"
            )
    machine = report / "machine.txt"
    if machine.exists():
        say("Machine: " + "; ".join(machine.read_text().strip().splitlines()) + "\n")

    # Worker memory.
    rss = []
    rss_path = report / "rss.txt"
    if rss_path.exists():
        for line in rss_path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                rss.append(int(parts[1]) / 1024)
    max_rss = max(rss) if rss else float("nan")
    say(f"Worker RSS after the spike: {', '.join(f'{r:.0f}' for r in rss)} MB (max {max_rss:.0f}).")
    cpu = []
    if rss_path.exists():
        cpu = [int(line.split()[2]) for line in rss_path.read_text().splitlines() if line.strip()]
    locust_cpu = report / "locust_cpu.txt"
    if cpu and locust_cpu.exists():
        user, system, elapsed = (float(x) for x in locust_cpu.read_text().split()[-3:])
        say(
            f"CPU seconds: gunicorn workers {sum(cpu)} (probe + spike), Locust "
            f"{user + system:.0f} over its {elapsed:.0f} s; the machine has "
            f"{2 * elapsed:.0f} core-seconds in that time."
        )

    # Uncached search: server time from the request log (service=…ms).
    server = []
    probe = report / "probe_requests.log"
    if probe.exists():
        for line in probe.read_text().splitlines():
            match = re.search(r" service=(\d+)ms ", line)
            if match:
                server.append(int(match.group(1)))
    what = "search" if args.search == "1" else "filtered city page (search not built)"
    if len(server) >= 20:
        q = statistics.quantiles(server, n=100)
        search_p95 = q[94]
        say(
            f"Uncached {what} over {args.listings} listings, server time: p50 {q[49]:.1f} ms, "
            f"p95 {search_p95:.1f} ms, max {max(server):.1f} ms ({len(server)} requests)."
        )
    else:
        search_p95 = float("nan")
        say("Uncached search: no request-log timings found.")
    client = report / "probe_client.txt"
    if client.exists():
        say(f"  (client side: {client.read_text().strip().splitlines()[-1]})")

    # Framework ceiling.
    bare, cached = [], []
    ceiling = report / "ceiling.txt"
    if ceiling.exists():
        for line in ceiling.read_text().splitlines():
            match = re.search(r"(bare|cached) rps=([\d.]+)", line)
            if match:
                (bare if match.group(1) == "bare" else cached).append(float(match.group(2)))
    if bare and cached:
        ratio = statistics.median(cached) / statistics.median(bare)
        say(
            f"\nFramework ceiling ({args.tool}): bare Django {statistics.median(bare):.0f} rps, "
            f"cached page {statistics.median(cached):.0f} rps (medians of "
            f"{len(bare)} rounds): ratio cached/bare = {ratio:.2f}."
        )
    else:
        ratio = float("nan")
        say("\nFramework ceiling: not measured.")

    say("\n## Targets\n")
    checks = [
        ("cached ≥ 1.0 × bare Django rps", ratio >= 1.0, f"{ratio:.2f}×"),
        ("0 failed requests", agg is not None and failures == 0, f"{failures} of {total}"),
        ("the load generator ran clean", exceptions == 0, f"{exceptions} exceptions"),
        ("p99 < 500 ms", p99 < 500, f"{p99:.0f} ms"),
        ("no request over 2 s", worst <= 2000, f"max {worst:.0f} ms"),
        ("uncached search p95 < 100 ms", search_p95 < 100, f"{search_p95:.1f} ms"),
        ("worker RSS < 150 MB", max_rss < 150, f"{max_rss:.0f} MB"),
    ]
    for name, ok, value in checks:
        say(f"- [{'x' if ok else ' '}] {name}: {value} — {'met' if ok else 'MISSED'}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
