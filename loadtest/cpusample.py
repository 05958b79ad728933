"""Where the 2 cores go, second by second, while the spike runs.

    python loadtest/cpusample.py GUNICORN_PID SECONDS > cpu.csv

Each row: seconds since start, the whole machine's busy share (100 = one core), the
shares of the gunicorn workers, Locust, Postgres and Redis, and "stolen": time the
hypervisor gave to other guests while this VM wanted the cores (/proc/stat's steal; it is
counted in the machine's share too). Read from /proc (Linux only).
"""

import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
GROUPS = ("workers", "locust", "postgres", "redis")
STEAL = 7  # /proc/stat's cpu line: user nice system idle iowait irq softirq steal ...


def machine():
    """(busy ticks, all ticks, stolen ticks) of all cores since boot."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    stolen = fields[STEAL] if len(fields) > STEAL else 0
    return sum(fields) - idle, sum(fields), stolen


def processes(gunicorn):
    """{group: total ticks} over the processes alive now."""
    ticks = dict.fromkeys(GROUPS, 0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2 :].split()
        ppid, used = int(rest[1]), int(rest[11]) + int(rest[12])
        if ppid == gunicorn:
            ticks["workers"] += used
        elif "locust" in cmd and "cpusample" not in cmd:
            ticks["locust"] += used
        elif name.startswith("postgres"):
            ticks["postgres"] += used
        elif name.startswith("redis-server"):
            ticks["redis"] += used
    return ticks


def main(gunicorn, seconds):
    cores = os.cpu_count() or 1
    print("t,machine," + ",".join(GROUPS) + ",stolen")
    before_busy, before_all, before_stolen = machine()
    before = processes(gunicorn)
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        time.sleep(1)
        busy, total, stolen = machine()
        now = processes(gunicorn)
        span = (total - before_all) / cores  # ticks of one core in this interval
        share = [100 * (busy - before_busy) / span if span else 0.0]
        share += [100 * max(0, now[g] - before[g]) / span if span else 0.0 for g in GROUPS]
        share.append(100 * (stolen - before_stolen) / span if span else 0.0)
        print(f"{time.monotonic() - start:.0f}," + ",".join(f"{x:.0f}" for x in share), flush=True)
        before_busy, before_all, before_stolen, before = busy, total, stolen, now


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
