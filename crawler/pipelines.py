"""Item pipelines: store every fetched page raw, in batches, before anything parses it.

Nothing fetched is lost silently: when a batch cannot be written, it is written again one page at a time, so
one bad page costs itself only, and every page that still cannot be stored is recorded against the run (URL,
error class, message) and counted in `store_errors`; the crawl child then exits with EXIT_PAGES_LOST
(crawler.run), so the run cannot end `ok`. Header values are cleaned of control characters first: a NUL
byte in a header is legal on the wire but cannot be stored in PostgreSQL text.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import zlib
from collections import Counter
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from scrapy.crawler import Crawler
from sqlmodel import col

from crawler.items import PageItem
from etl.store.engine import get_engine
from etl.store.models import Page
from etl.store.pages import PageState, store_pages
from etl.text.encoding import decode_html
from etl.urls import MAX_URL_LENGTH, url_too_long

log = logging.getLogger(__name__)

# C0 controls but tab, and DEL: never meaningful in a header value, and NUL cannot be stored by PostgreSQL.
# C1 is kept: header bytes are read as Latin-1, where 0x80-0x9F are parts of UTF-8 characters.
_HEADER_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
STORE_ERROR_LENGTH = 500  # characters of a storage error's message kept in the run's errors
RECORDED_ERRORS = 1000  # error entries a run keeps (crawler.run.record): every lost page up to this many
FLUSH_SECONDS = 2.0  # a batch is written when full or this old, so a killed crawl loses seconds of pages at most


def clean_header(text: str) -> str:
    """A header name or value without control characters (tab kept)."""
    return _HEADER_CONTROLS.sub("", text)


def page_row(item: PageItem, run_id: int | None) -> dict[str, Any]:
    """The `page` row for one fetched page: compressed bytes plus every encoding clue."""
    headers = {clean_header(k).lower(): clean_header(v) for k, v in item.headers.items()}
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


def store_failure(row: Mapping[str, Any], exc: BaseException) -> dict[str, str]:
    """The run's error entry for a page that could not be stored."""
    message = " ".join(str(exc).split())[:STORE_ERROR_LENGTH]
    return {
        "url": str(row["url"])[:MAX_URL_LENGTH],
        "source": row.get("source_name") or "",
        "stage": "store",
        "error_class": type(exc).__name__,
        "reason": f"not stored: {type(exc).__name__}: {message}",
    }


class StorePagesPipeline:
    """Writes pages to the `page` table in batches; a page whose bytes equal its stored version is not stored again.

    A failed batch is retried page by page; pages that still fail are in `failures` (and the spider's errors).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_id: int | None = crawler.settings.getint("AIDNEWS_RUN_ID") or None
        self.batch_size = crawler.settings.getint("STORE_BATCH_SIZE", 200)
        self.buffer: list[dict[str, Any]] = []
        self.buffered_since = 0.0  # time.monotonic() of the buffer's oldest page
        self.last_sha: dict[str, str] = {}
        self.stored = 0
        self.stored_by_source: Counter[str] = Counter()
        self.new_by_source: Counter[str] = Counter()  # article pages of URLs not stored before
        self.unchanged = 0
        self.failures: list[dict[str, str]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePagesPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.engine = get_engine()
        sources = list(getattr(self.crawler.spider, "sources", {}))
        query = (
            sa.select(col(Page.url), col(Page.sha256))
            .where(col(Page.kind) != "article", col(Page.source_name).in_(sources))
            .order_by(col(Page.id))
        )
        with self.engine.connect() as conn:
            self.last_sha = {url: sha for url, sha in conn.execute(query)}

    def process_item(self, item: PageItem) -> PageItem:
        if url_too_long(item.url):  # the spider never asks for one; a redirect's first URL is checked there too
            self.failed(
                {"url": item.url, "source_name": item.source_name},
                ValueError(f"URL longer than {MAX_URL_LENGTH} characters"),
            )
            return item
        row = page_row(item, self.run_id)
        previous = self.last_sha.get(item.url) if item.kind != "article" else item.previous_sha256
        if previous == row["sha256"]:
            self.unchanged += 1
            return item
        if item.kind != "article":
            self.last_sha[item.url] = row["sha256"]
        elif previous is None:
            self.new_by_source[item.source_name] += 1
        if not self.buffer:
            self.buffered_since = time.monotonic()
        self.buffer.append(row)
        if len(self.buffer) >= self.batch_size or time.monotonic() - self.buffered_since >= FLUSH_SECONDS:
            self.flush()
        return item

    def flush(self) -> None:
        """Store the buffered pages in one transaction, or else one page per transaction."""
        if not self.buffer:
            return
        rows, self.buffer = self.buffer, []
        rows = list({(r["url"], r["sha256"]): r for r in rows}.values())  # one version twice in a batch: once
        try:
            with self.engine.begin() as conn:
                store_pages(conn, rows)
            self.stored += len(rows)
            self.stored_by_source.update(row["source_name"] for row in rows)
            return
        except Exception:
            log.warning("storing a batch of %d pages failed; storing them one by one", len(rows), exc_info=True)
        for row in rows:
            try:
                with self.engine.begin() as conn:
                    store_pages(conn, [row])
                self.stored += 1
                self.stored_by_source[row["source_name"]] += 1
            except Exception as exc:  # this page's own failure: record it, keep the others
                self.failed(row, exc)

    def failed(self, row: Mapping[str, Any], exc: BaseException) -> None:
        failure = store_failure(row, exc)
        self.failures.append(failure)
        log.error("page not stored: %s: %s", failure["url"][:200], failure["reason"])
        spider: Any = self.crawler.spider
        if spider is not None and hasattr(spider, "errors"):
            if len(spider.errors) < RECORDED_ERRORS:
                spider.errors.append(failure)
            spider.counts["store_errors"] += 1

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
            stats.set_value("aidnews/store_errors", len(self.failures))
