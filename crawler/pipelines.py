"""Item pipelines: store every fetched page raw, in batches, before anything parses it."""

from __future__ import annotations

import hashlib
import logging
import zlib
from collections import Counter
from typing import Any

import sqlalchemy as sa
from scrapy.crawler import Crawler

from crawler.items import PageItem
from etl.store.engine import get_engine
from etl.store.models import Page
from etl.store.pages import PageState
from etl.text.encoding import decode_html

log = logging.getLogger(__name__)


def page_row(item: PageItem, run_id: int | None) -> dict[str, Any]:
    """The `page` row for one fetched page: compressed bytes plus every encoding clue."""
    headers = {k.lower(): v for k, v in item.headers.items()}
    content_type = headers.get("content-type")
    decoded = decode_html(item.body, content_type)
    return {
        "url": item.url,
        "final_url": item.final_url,
        "source_name": item.source_name,
        "kind": item.kind,
        "run_id": run_id,
        "status": item.status,
        "headers": headers,
        "content_type": content_type,
        "http_charset": decoded.http_charset,
        "meta_charset": decoded.meta_charset,
        "detected_encoding": decoded.encoding,
        "body": zlib.compress(item.body, 3),
        "size": len(item.body),
        "sha256": hashlib.sha256(item.body).hexdigest(),
        "fetched_at": item.fetched_at,
        "etag": headers.get("etag"),
        "last_modified": headers.get("last-modified"),
        "etl_status": PageState.PENDING if item.kind == "article" else PageState.SKIPPED,
        "etl_error": None if item.kind == "article" else f"{item.kind} page",
    }


class StorePagesPipeline:
    """Writes pages to the `page` table in batches; a page whose bytes equal its stored version is not stored again."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_id: int | None = crawler.settings.getint("AIDNEWS_RUN_ID") or None
        self.batch_size = crawler.settings.getint("STORE_BATCH_SIZE", 200)
        self.buffer: list[dict[str, Any]] = []
        self.last_sha: dict[str, str] = {}
        self.stored = 0
        self.stored_by_source: Counter[str] = Counter()
        self.new_by_source: Counter[str] = Counter()  # article pages of URLs not stored before
        self.unchanged = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePagesPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.engine = get_engine()
        sources = list(getattr(self.crawler.spider, "sources", {}))
        query = (
            sa.select(Page.url, Page.sha256)
            .where(Page.kind != "article", Page.source_name.in_(sources))
            .order_by(Page.id)
        )
        with self.engine.connect() as conn:
            self.last_sha = {url: sha for url, sha in conn.execute(query)}

    def process_item(self, item: PageItem) -> PageItem:
        row = page_row(item, self.run_id)
        previous = self.last_sha.get(item.url) if item.kind != "article" else item.previous_sha256
        if previous == row["sha256"]:
            self.unchanged += 1
            return item
        if item.kind != "article":
            self.last_sha[item.url] = row["sha256"]
        elif previous is None:
            self.new_by_source[item.source_name] += 1
        self.buffer.append(row)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.buffer:
            return
        rows, self.buffer = self.buffer, []
        with self.engine.begin() as conn:
            conn.execute(sa.insert(Page), rows)
        self.stored += len(rows)
        self.stored_by_source.update(row["source_name"] for row in rows)

    def close_spider(self) -> None:
        self.flush()
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("aidnews/pages_stored", self.stored)
            stats.set_value("aidnews/pages_unchanged", self.unchanged)
            for name, stored in self.stored_by_source.items():
                stats.set_value(f"aidnews/pages_stored/{name}", stored)
            for name, new in self.new_by_source.items():
                stats.set_value(f"aidnews/articles_new/{name}", new)
