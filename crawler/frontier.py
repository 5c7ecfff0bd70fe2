"""A shared Redis frontier for distributed crawls (scrapy-redis), with a serializer that cannot run code.

scrapy-redis pickles requests by default; unpickling what a shared Redis holds would let anyone who can
write to that Redis run code in every crawl worker. Requests are stored as JSON instead (bytes as base64).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import redis
from scrapy.settings import Settings

from crawler.jobs import ANNOUNCEMENT_TTL_SECONDS, client, crawl_key, others_busy, set_activity, this_process


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {
            str(k) if not isinstance(k, bytes) else "__b__" + base64.b64encode(k).decode(): _encode(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {(base64.b64decode(k[5:]) if k.startswith("__b__") else k): _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps(obj: Any) -> str:
    return json.dumps(_encode(obj), ensure_ascii=False, default=str)


def loads(text: str | bytes) -> Any:
    return _decode(json.loads(text))


def keys(ns: str, run_id: int | None) -> dict[str, str]:
    """The queue and duplicate filter of one crawl (crawler.jobs names every key of a crawl)."""
    return {"queue": crawl_key(ns, run_id, "requests"), "dupefilter": crawl_key(ns, run_id, "seen")}


def apply(settings: Settings, redis_url: str, run_id: int | None, ns: str) -> None:
    """Point Scrapy's scheduler and duplicate filter at the shared frontier in Redis."""
    names = keys(ns, run_id)
    settings.set("SCHEDULER", "scrapy_redis.scheduler.Scheduler")
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter")
    settings.set("SCHEDULER_SERIALIZER", "crawler.frontier")
    settings.set("SCHEDULER_PERSIST", True)  # one worker finishing must not empty the others' frontier
    settings.set("SCHEDULER_QUEUE_KEY", names["queue"])
    settings.set("SCHEDULER_DUPEFILTER_KEY", names["dupefilter"])
    settings.set("REDIS_URL", redis_url)
    settings.set("AIDNEWS_FRONTIER_NAMESPACE", ns)


def pending(redis_url: str, run_id: int | None, ns: str) -> int:
    """Requests queued in a crawl's shared frontier."""
    with client(redis_url) as conn:
        return queued(conn, ns, run_id)


def queued(conn: redis.Redis, ns: str, run_id: int | None) -> int:
    key = keys(ns, run_id)["queue"]
    kind = conn.type(key)
    if kind == b"zset":
        return int(conn.zcard(key))
    if kind == b"list":
        return int(conn.llen(key))
    return 0


BUSY_MARK_SECONDS = 1.0  # a busy process refreshes its mark at most this often (one Redis write per second)


class Participant:
    """One Scrapy process's side of a shared frontier: it says when it is busy, and when it may leave.

    A process leaves the crawl when the frontier is empty, the start requests are all queued (`seeded`), and
    no other process of the crawl is busy: one that is still fetching may queue more links. The owner of the
    run waits for every process anyway (crawler.supervisor), so leaving early costs speed, not pages.
    """

    def __init__(self, redis_url: str, ns: str, run_id: int | None, lead: bool) -> None:
        self.conn = redis.Redis.from_url(redis_url, socket_connect_timeout=10, socket_timeout=30)
        self.ns = ns
        self.run_id = run_id
        self.lead = lead
        self.name = this_process()
        self.marked_busy_at = 0.0

    def busy(self) -> None:
        now = time.monotonic()
        if now - self.marked_busy_at >= BUSY_MARK_SECONDS:
            self.marked_busy_at = now
            set_activity(self.conn, self.ns, self.run_id, self.name, busy=True)

    def may_leave(self) -> bool:
        """Called when this process has nothing to do; marks it idle and tells whether the crawl is over for it."""
        set_activity(self.conn, self.ns, self.run_id, self.name, busy=False)
        self.marked_busy_at = 0.0
        if queued(self.conn, self.ns, self.run_id):
            return False
        if not self.lead and not self.conn.exists(crawl_key(self.ns, self.run_id, "seeded")):
            return False
        return not others_busy(self.conn, self.ns, self.run_id, self.name)

    def seeded(self) -> None:
        self.conn.set(crawl_key(self.ns, self.run_id, "seeded"), "1", ex=ANNOUNCEMENT_TTL_SECONDS)

    def leave(self) -> None:
        try:
            set_activity(self.conn, self.ns, self.run_id, self.name, busy=None)
        finally:
            self.conn.close()
