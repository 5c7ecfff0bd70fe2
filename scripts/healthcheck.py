"""The container health check: healthy only while this container's scheduler keeps its heartbeat fresh.

    aidnews status --format json | python healthcheck.py [--max-age 180] [--this-host]

The Dockerfile's HEALTHCHECK pipes `aidnews status --format json` into this script. The service writes a
heartbeat to the database every 60 s (scheduler.HEARTBEAT_SECONDS) and `status` reports it as `service`:
its `state` ("running" while the heartbeat is under 180 s old, else "silent"; "stopped" after a clean stop)
and `last_seen`, a local time to the minute. The check fails when `status` printed nothing readable (the
database is unreachable), when no service ever ran, when the state is not "running", or when `last_seen` is
older than --max-age (plus the minute `last_seen` is rounded down to). With --this-host it also fails when the
newest heartbeat comes from another host: in a container the host name is the container's, so a replica
that lost the one-scheduler-per-database lock does not pass for healthy on the winner's heartbeat.
Standard library only: it runs with whatever Python the image has.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from datetime import UTC, datetime
from typing import Any, NamedTuple

DEFAULT_MAX_AGE = 180.0  # seconds: three missed heartbeats, the threshold `status` itself calls "silent"
LAST_SEEN_ROUNDING = 60.0  # `last_seen` is printed to the minute, rounded down


class Verdict(NamedTuple):
    healthy: bool
    reason: str


def check(info: Any, now: datetime, max_age: float = DEFAULT_MAX_AGE, host: str | None = None) -> Verdict:
    """Judge one `aidnews status --format json` document at time `now` (timezone-aware)."""
    if not isinstance(info, dict):
        return Verdict(False, "status did not print a JSON object")
    service = info.get("service")
    if not service:
        return Verdict(False, "no service has ever run on this database")
    if host is not None and service.get("host") != host:
        return Verdict(False, f"the newest service runs on {service.get('host')!r}, not on this host {host!r}")
    state = service.get("state")
    if state != "running":
        return Verdict(False, f"service is {state!r}, last seen {service.get('last_seen')}")
    try:
        last_seen = datetime.fromisoformat(service["last_seen"])
    except (KeyError, TypeError, ValueError):
        return Verdict(False, f"service heartbeat time unreadable: {service.get('last_seen')!r}")
    if last_seen.tzinfo is None:
        return Verdict(False, f"service heartbeat time has no time zone: {service['last_seen']!r}")
    age = (now - last_seen).total_seconds()
    if age > max_age + LAST_SEEN_ROUNDING:
        return Verdict(False, f"service heartbeat is stale: last seen {service['last_seen']}, {age:.0f} s ago")
    return Verdict(True, f"service running on {service.get('host')}, last seen {service['last_seen']}")


def main(argv: list[str] | None = None, stdin: Any = None) -> int:
    parser = argparse.ArgumentParser(description="exit 0 while the aidnews service heartbeat is fresh")
    parser.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE, help="seconds a heartbeat stays fresh")
    parser.add_argument("--this-host", action="store_true", help="the heartbeat must come from this host")
    args = parser.parse_args(argv)
    text = (stdin or sys.stdin).read()
    try:
        info = json.loads(text)
    except ValueError:
        verdict = Verdict(False, "no JSON from `aidnews status --format json` (is the database reachable?)")
    else:
        verdict = check(info, datetime.now(UTC), args.max_age, socket.gethostname() if args.this_host else None)
    print(("healthy: " if verdict.healthy else "unhealthy: ") + verdict.reason)
    return 0 if verdict.healthy else 1


if __name__ == "__main__":
    sys.exit(main())
