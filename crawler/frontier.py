"""A shared Redis frontier for distributed crawls (scrapy-redis), with a serializer that cannot run code.

scrapy-redis pickles requests by default; unpickling what a shared Redis holds would let anyone who can
write to that Redis run code in every crawl worker. Requests are stored as JSON instead (bytes as base64).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from scrapy.settings import Settings


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


def keys(run_id: int | None) -> dict[str, str]:
    prefix = f"aidnews:crawl:{run_id or 'adhoc'}"
    return {"queue": f"{prefix}:requests", "dupefilter": f"{prefix}:seen"}


def apply(settings: Settings, redis_url: str, run_id: int | None) -> None:
    """Point Scrapy's scheduler and duplicate filter at the shared frontier in Redis."""
    names = keys(run_id)
    settings.set("SCHEDULER", "scrapy_redis.scheduler.Scheduler")
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter")
    settings.set("SCHEDULER_SERIALIZER", "crawler.frontier")
    settings.set("SCHEDULER_PERSIST", True)  # one worker finishing must not empty the others' frontier
    settings.set("SCHEDULER_QUEUE_KEY", names["queue"])
    settings.set("SCHEDULER_DUPEFILTER_KEY", names["dupefilter"])
    settings.set("REDIS_URL", redis_url)


def clear(redis_url: str, run_id: int | None) -> None:
    """Remove a finished crawl's frontier from Redis."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(*keys(run_id).values())
    finally:
        client.close()


def pending(redis_url: str, run_id: int | None) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        key = keys(run_id)["queue"]
        kind = client.type(key)
        if kind == b"zset":
            return int(client.zcard(key))
        if kind == b"list":
            return int(client.llen(key))
        return 0
    finally:
        client.close()
