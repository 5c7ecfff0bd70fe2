"""A distributed crawl: two workers share a Redis frontier (scrapy-redis) and store every page once."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from crawler import frontier
from crawler.demo import DemoPortal, demo_sources
from crawler.supervisor import crawl
from etl.sources import parse_sources
from etl.store import engine as db
from etl.store.models import Page

REDIS_URL = os.environ.get("AIDNEWS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI: {exc}")
        pytest.skip(f"Redis not available at {REDIS_URL}: {exc}")
    return REDIS_URL


def test_the_frontier_serializer_round_trips_requests_without_pickle() -> None:
    request = {
        "url": "http://a.cn/1.html",
        "headers": {b"If-None-Match": [b'"abc"']},
        "body": b"",
        "meta": {"source": "hq", "depth": 2, "previous_sha256": None},
        "priority": 10,
    }
    text = frontier.dumps(request)
    assert isinstance(text, str) and "pickle" not in text
    assert frontier.loads(text) == request
    with pytest.raises(ValueError):
        frontier.loads(b"\x80\x04\x95")  # a pickle is refused, not run


def test_two_workers_share_the_frontier_and_store_each_page_once(redis_url: str, database_url: str) -> None:
    engine = db.get_engine(database_url)
    with DemoPortal(slow_seconds=2.0) as portal:
        sources = parse_sources({"source": demo_sources(portal.base_url)}).sources
        run = crawl(sources, engine=engine, workers=2, redis_url=redis_url, time_limit=120)
        single = portal.hits.copy()
    assert run.status == "ok", run.error
    assert run.counts["workers"] == 2
    assert set(run.counts["by_source"]) == {s.name for s in sources} and "sources" not in run.counts
    with Session(engine) as session:
        urls = session.execute(sa.select(Page.url).where(Page.kind == "article")).scalars().all()
    assert urls and len(urls) == len(set(urls))
    article_paths = [p for p in single if "/content/" in p or "/dwzy/2" in p or "/html/" in p]
    assert article_paths and all(single[p] <= 2 for p in article_paths)  # at most the 500 trap's retry
    assert frontier.pending(redis_url, run.id) == 0
