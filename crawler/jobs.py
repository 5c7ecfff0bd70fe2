"""The crawls a shared Redis announces to crawl workers, and how the processes of one crawl find each other.

A distributed crawl has one owner: the process that records its run (`crawler.supervisor.crawl`, started by
the scheduler or by `aidnews crawl --redis URL`). The owner announces the crawl here (run id, sources,
options); long-running crawl workers (`aidnews crawl --worker`, crawler.worker) poll the announcements, join
the crawl by running a follower over its frontier, and say how their part ended. The owner waits for every
worker that joined before it records the run, so a run is `ok` only when every part of it was.

Keys live under a namespace derived from the database (driver, host, port and name, never the password): a
worker stores pages in its own DATABASE_URL, so it may only join crawls of that database, and two
deployments (or two test databases) sharing one Redis never see each other's crawls.

    {ns}:crawls                  hash  run id -> the announcement (JSON)
    {ns}:crawl:{run}:requests    the scrapy-redis queue; :seen its duplicate filter (crawler.frontier)
    {ns}:crawl:{run}:seeded      set once the start requests are queued (followers wait for it)
    {ns}:crawl:{run}:stop        set when the owner stops the crawl (time limit, shutdown)
    {ns}:crawl:{run}:activity    hash  Scrapy process -> "busy|idle <time>" (a follower leaves when all idle)
    {ns}:crawl:{run}:workers     hash  worker -> its part: joined/running, then ok, failed or stopped

This module loads no Scrapy: the supervisor and the worker loop use it without the crawler's weight.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import redis
import sqlalchemy as sa

MEMBER_STALE_SECONDS = 20.0  # a worker's beat older than this: it is gone (killed, machine lost); beats come every 1 s
ACTIVITY_STALE_SECONDS = 30.0  # a Scrapy process's busy mark older than this no longer holds the others back
ANNOUNCEMENT_TTL_SECONDS = 7 * 24 * 3600  # keys of a crawl whose owner died are dropped after this at the latest


def namespace(database_url: str | sa.URL) -> str:
    """The Redis key prefix of one database's crawls (the URL without its password, hashed)."""
    url = sa.engine.make_url(database_url) if isinstance(database_url, str) else database_url
    identity = f"{url.get_backend_name()}://{url.host or ''}:{url.port or ''}/{url.database or ''}"
    return "aidnews:" + hashlib.sha1(identity.encode("utf-8")).hexdigest()[:12]


def crawl_key(ns: str, run_id: int | None, part: str) -> str:
    return f"{ns}:crawl:{run_id or 'adhoc'}:{part}"


def this_process() -> str:
    """How this process is named in a crawl's hashes: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@contextmanager
def client(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url, socket_connect_timeout=10, socket_timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def reachable(redis_url: str) -> None:
    """Return when Redis at `redis_url` answers; raise redis.RedisError (or ValueError for a URL that is not
    Redis's) when it does not."""
    with client(redis_url) as conn:
        conn.ping()


@dataclass(frozen=True)
class Announcement:
    """A crawl open to workers: what a follower needs to run its part."""

    run_id: int
    sources: list[dict[str, Any]]
    revisit: bool = False
    contact: str | None = None
    fast: bool = False
    owner: str = field(default_factory=this_process)

    def to_json(self) -> str:
        return json.dumps(
            {
                "run_id": self.run_id,
                "sources": self.sources,
                "revisit": self.revisit,
                "contact": self.contact,
                "fast": self.fast,
                "owner": self.owner,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Announcement:
        data = json.loads(text)
        return cls(
            int(data["run_id"]),
            list(data["sources"]),
            bool(data.get("revisit")),
            data.get("contact"),
            bool(data.get("fast")),
            str(data.get("owner", "")),
        )


def announce(redis_url: str, ns: str, announcement: Announcement) -> None:
    with client(redis_url) as conn:
        conn.hset(f"{ns}:crawls", str(announcement.run_id), announcement.to_json())
        conn.expire(f"{ns}:crawls", ANNOUNCEMENT_TTL_SECONDS)


def announced(redis_url: str, ns: str) -> list[Announcement]:
    """The open crawls of this namespace, oldest first; an announcement that cannot be read is skipped."""
    with client(redis_url) as conn:
        raw = conn.hgetall(f"{ns}:crawls")
    found = []
    for value in raw.values():
        try:
            found.append(Announcement.from_json(value))
        except (ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda a: a.run_id)


def is_open(conn: redis.Redis, ns: str, run_id: int) -> bool:
    """Announced and not asked to stop."""
    return bool(conn.hexists(f"{ns}:crawls", str(run_id))) and not conn.exists(crawl_key(ns, run_id, "stop"))


def withdraw(redis_url: str, ns: str, run_id: int | None) -> None:
    """Remove a finished crawl: its announcement, frontier, marks and parts."""
    with client(redis_url) as conn:
        if run_id is not None:
            conn.hdel(f"{ns}:crawls", str(run_id))
        parts = ("requests", "seen", "seeded", "stop", "activity", "workers")
        conn.delete(*(crawl_key(ns, run_id, part) for part in parts))


def mark(redis_url: str, ns: str, run_id: int | None, what: str) -> None:
    """Set a crawl's `seeded` or `stop` mark."""
    with client(redis_url) as conn:
        conn.set(crawl_key(ns, run_id, what), "1", ex=ANNOUNCEMENT_TTL_SECONDS)


# -- what each Scrapy process of a crawl is doing (read by the others when they run out of requests) ---------


def set_activity(conn: redis.Redis, ns: str, run_id: int | None, name: str, busy: bool | None) -> None:
    """Say this process is busy or idle (None: it left the crawl)."""
    key = crawl_key(ns, run_id, "activity")
    if busy is None:
        conn.hdel(key, name)
    else:
        conn.hset(key, name, f"{'busy' if busy else 'idle'} {time.time():.3f}")
        conn.expire(key, ANNOUNCEMENT_TTL_SECONDS)


def others_busy(conn: redis.Redis, ns: str, run_id: int | None, name: str) -> list[str]:
    """The other processes of the crawl that said they were busy within ACTIVITY_STALE_SECONDS."""
    now = time.time()
    busy = []
    for key, value in conn.hgetall(crawl_key(ns, run_id, "activity")).items():
        who, (state, _, at) = _text(key), _text(value).partition(" ")
        if who != name and state == "busy" and now - float(at or 0) < ACTIVITY_STALE_SECONDS:
            busy.append(who)
    return busy


# -- the parts workers run ----------------------------------------------------------------------------------


class PartState(StrEnum):
    RUNNING = "running"  # joined; its beat says it is alive
    OK = "ok"  # its follower finished normally
    FAILED = "failed"  # its follower exited with an error (code in the record)
    STOPPED = "stopped"  # the worker was told to stop (SIGTERM) before the crawl ended


@dataclass(frozen=True)
class Part:
    """One worker's part of a crawl, as it last reported it."""

    worker: str
    state: PartState
    beat: float
    code: int | None = None
    detail: str | None = None  # the end of a failed part's stderr

    def gone(self, now: float) -> bool:
        """Still `running` on paper, but silent for longer than a live worker ever is."""
        return self.state is PartState.RUNNING and now - self.beat > MEMBER_STALE_SECONDS


def report_part(
    conn: redis.Redis,
    ns: str,
    run_id: int,
    worker: str,
    state: PartState,
    code: int | None = None,
    detail: str | None = None,
) -> None:
    key = crawl_key(ns, run_id, "workers")
    record = {"state": state.value, "beat": time.time(), "code": code, "detail": detail}
    conn.hset(key, worker, json.dumps(record, ensure_ascii=False))
    conn.expire(key, ANNOUNCEMENT_TTL_SECONDS)


def parts(redis_url: str, ns: str, run_id: int) -> list[Part]:
    with client(redis_url) as conn:
        raw = conn.hgetall(crawl_key(ns, run_id, "workers"))
    found = []
    for worker, value in raw.items():
        data = json.loads(value)
        state = PartState(data["state"])
        found.append(Part(_text(worker), state, float(data["beat"]), data.get("code"), data.get("detail")))
    return sorted(found, key=lambda p: p.worker)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value
