"""Child-process entry point for one crawl: `python -m crawler.run --run-id N --sources FILE|-`.

Scrapy's Twisted reactor cannot be restarted inside a process, so every crawl runs here, in its own
process; the parent (`crawler.supervisor.crawl`) waits for it with a time limit and records how it ended.
This process writes its counts (in total and per source) and fetch errors into its `run` row when the spider
closes, and marks the stored articles it found unchanged as checked, so revisits are spaced.
The sources come on standard input (`--sources -`), so no temporary file outlives a killed parent. With
`--parent-pid`, the child dies with its parent: Linux sends it SIGTERM when the parent goes (Scrapy's
graceful stop, which still stores the pages in hand), and a watcher thread ends it ORPHAN_GRACE_SECONDS
later whatever it is doing, so a killed `aidnews run-once` never leaves a crawl running unsupervised.
Exit status: 0 finished; 1 stopped early or failed; EXIT_PAGES_LOST when fetched pages could not be stored.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlmodel import col

from crawler import frontier, jobs
from crawler.spiders.aid import AidSpider, KnownPage
from crawler.supervisor import EXIT_ORPHANED, EXIT_PAGES_LOST
from etl.sources import SourceConfig, parse_source
from etl.store.engine import get_engine
from etl.store.models import Article, Page, Run
from etl.store.pages import record_checks
from etl.store.sources import fully_crawled

log = logging.getLogger("aidnews.crawl")

# Size caps an operator may set in the environment (bytes, or a count), each naming the Scrapy setting it sets.
ENV_LIMITS = {
    "AIDNEWS_MAX_PAGE_BYTES": "DOWNLOAD_MAXSIZE",
    "AIDNEWS_MAX_INFLATED_BYTES": "MAX_INFLATED_SIZE",
    "AIDNEWS_SITEMAP_CHILDREN_MAX": "SITEMAP_CHILDREN_MAX",
}

PR_SET_PDEATHSIG = 1  # prctl(2) option: the signal this process gets when its parent thread dies
PARENT_POLL_SECONDS = 0.5
ORPHAN_GRACE_SECONDS = 3.0  # from the parent's death to this process's end, at most (plus one poll)

# Scrapy stats worth keeping in the run record.
_STATS = (
    "downloader/request_count",
    "downloader/response_count",
    "retry/count",
    "retry/max_reached",
    "robotstxt/forbidden",
    "robotstxt/request_count",
    "finish_reason",
    "elapsed_time_seconds",
    "downloader/response_bytes",
    "aidnews/pages_stored",
    "aidnews/pages_unchanged",
)


def load_known(engine: sa.Engine, source_names: list[str]) -> dict[str, KnownPage]:
    """Article URLs already stored (latest version each), with what a conditional request and a revisit need."""
    latest = (
        sa.select(sa.func.max(col(Page.id)))
        .where(col(Page.kind) == "article", col(Page.status) == 200, col(Page.source_name).in_(source_names))
        .group_by(col(Page.url))
    )
    query = sa.select(
        col(Page.url),
        col(Page.etag),
        col(Page.last_modified),
        col(Page.fetched_at),
        col(Page.sha256),
        col(Page.source_name),
        col(Page.checked_at),
    ).where(col(Page.id).in_(latest))
    # The article built from any version of the URL: its publication date, else when it was first extracted.
    dated = (
        sa.select(col(Page.url), sa.func.coalesce(col(Article.published_at), col(Article.created_at)))
        .join(Article, col(Article.page_id) == col(Page.id))
        .where(col(Page.source_name).in_(source_names))
    )
    with engine.connect() as conn:
        article_at = dict(conn.execute(dated).all())
        return {
            url: KnownPage(etag, lm, fetched, sha, source, _aware(article_at.get(url)), checked)
            for url, etag, lm, fetched, sha, source, checked in conn.execute(query)
        }


def _aware(value: datetime | None) -> datetime | None:
    """A time read through a SQL expression (no column type to make it aware) is UTC on SQLite."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def crawl_settings(
    sources: list[SourceConfig], run_id: int | None, contact: str | None = None, polite: bool = True
) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if run_id is not None:
        settings.set("AIDNEWS_RUN_ID", run_id)
    for variable, name in ENV_LIMITS.items():
        if (value := os.environ.get(variable, "").strip()).isdigit():
            settings.set(name, int(value))
    if contact:
        settings.set("USER_AGENT", f"aidnews/0.1 (aid-news research crawler; +{contact})")
    # Local sources (demo and test portals) are crawled without delays; real sites keep the polite defaults.
    local_domains = {d for s in sources if s.local for d in s.allowed_domains}
    settings.set("AIDNEWS_LOCAL_DOMAINS", sorted(local_domains))
    if local_domains:
        settings.set("DOWNLOAD_SLOTS", {d: {"concurrency": 8, "delay": 0} for d in local_domains})
    if not any(not s.local for s in sources) or not polite:
        settings.set("AUTOTHROTTLE_ENABLED", False)
        settings.set("DOWNLOAD_DELAY", 0)
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 8)
    return settings


def merge_counts(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Counts of two workers of one run added up: numbers summed, tables (per source) merged key by key."""
    merged = dict(old)
    for key, value in new.items():
        before = merged.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and isinstance(before, int | float):
            merged[key] = before + value
        elif isinstance(value, dict) and isinstance(before, dict):
            merged[key] = merge_counts(before, value)
        else:
            merged[key] = value
    return merged


def record(engine: sa.Engine, run_id: int, counts: dict[str, Any], errors: list[dict[str, str]]) -> None:
    """Add this process's counts and errors to its run (the workers of a distributed crawl share one run)."""
    with engine.begin() as conn:
        query = sa.select(col(Run.counts), col(Run.errors)).where(col(Run.id) == run_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        else:  # take SQLite's write lock before reading, so two workers cannot interleave
            conn.execute(sa.update(Run).where(col(Run.id) == run_id).values(status=col(Run.status)))
        row = conn.execute(query).one_or_none()
        merged = merge_counts(dict(row[0] or {}) if row else {}, counts)
        merged["workers"] = int(merged.get("workers", 0)) + 1
        all_errors = (list(row[1] or []) if row else []) + errors
        conn.execute(sa.update(Run).where(col(Run.id) == run_id).values(counts=merged, errors=all_errors[:1000]))


def run_crawl(
    sources: list[SourceConfig],
    run_id: int | None,
    revisit: bool = False,
    contact: str | None = None,
    polite: bool = True,
    redis_url: str | None = None,
    lead: bool = True,
) -> dict[str, Any]:
    engine = get_engine()
    known = load_known(engine, [s.name for s in sources])
    full = fully_crawled(engine, [s.name for s in sources])
    settings = crawl_settings(sources, run_id, contact, polite)
    if redis_url:
        frontier.apply(settings, redis_url, run_id, jobs.namespace(engine.url))
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(AidSpider)
    process.crawl(
        crawler, sources=sources, known=known, revisit=revisit, frontier=redis_url, lead=lead, fully_crawled=full
    )
    process.start()
    spider: Any = crawler.spider
    counts: Counter[str] = Counter(spider.counts) if spider is not None else Counter()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    summary: dict[str, Any] = dict(counts)
    for key in _STATS:
        if key in stats:
            summary[key.replace("aidnews/", "")] = stats[key]
    # One row per source crawled, even one that neither answered nor failed: the spider's counts (responses,
    # errors by reason, list pages, paging) and the pipeline's (pages stored, new articles).
    by_source: dict[str, dict[str, int]] = {}
    if spider is not None:
        by_source = {s.name: {} for s in sources}
        for name, source_counts in spider.by_source.items():
            by_source.setdefault(name, {}).update(source_counts)
    for key, value in stats.items():
        if key.startswith("downloader/response_status_count/"):
            summary["http_" + key.rsplit("/", 1)[1]] = value
        elif key.startswith(("aidnews/pages_stored/", "aidnews/articles_new/")):
            _, count, name = key.split("/", 2)
            by_source.setdefault(name, {})[count] = value
    summary["by_source"] = by_source
    errors = spider.errors if spider is not None else []
    if spider is not None and spider.checked:
        record_checks(engine, spider.checked)
    if run_id is not None:
        record(engine, run_id, summary, errors)
    return summary


def die_with_parent(parent_pid: int) -> None:
    """End this process soon after `parent_pid` stops being its parent (killed, crashed, or ended)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # it went before the signal was asked for
        os._exit(EXIT_ORPHANED)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_SECONDS)
    log.error("the supervising process %d is gone: stopping the crawl", parent_pid)
    if not sys.platform.startswith("linux"):  # no PR_SET_PDEATHSIG: ask for Scrapy's graceful stop here
        os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(ORPHAN_GRACE_SECONDS)
    os._exit(EXIT_ORPHANED)


def read_sources(path: str) -> list[SourceConfig]:
    """The sources to crawl, from a JSON file or, for "-", standard input."""
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    return [parse_source(item, "crawl sources" if path == "-" else path) for item in json.loads(text)]


def exit_status(summary: dict[str, Any]) -> int:
    """0 only for a crawl Scrapy says finished: one stopped before its spider opened has no finish reason at all
    (a worker stopped a second after joining), and did not finish either."""
    if summary.get("store_errors"):
        return EXIT_PAGES_LOST
    return 0 if summary.get("finish_reason") == "finished" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__.splitlines()[0])
    parser.add_argument("--run-id", type=int, default=None)
    parser.add_argument("--sources", required=True, help="JSON file (or - for stdin): a list of source tables")
    parser.add_argument("--parent-pid", type=int, default=None, help="end this crawl when that process ends")
    parser.add_argument("--revisit", action="store_true", help="re-check stored articles with conditional GETs")
    parser.add_argument("--contact", default=None, help="contact URL for the User-Agent")
    parser.add_argument("--fast", action="store_true", help="politeness off (benchmarks on local sites only)")
    parser.add_argument("--redis", default=None, help="Redis URL of a shared frontier (distributed crawl)")
    parser.add_argument("--follower", action="store_true", help="a distributed worker that does not seed start URLs")
    args = parser.parse_args(argv)
    if args.parent_pid is not None:
        die_with_parent(args.parent_pid)
    sources = read_sources(args.sources)
    summary = run_crawl(
        sources,
        args.run_id,
        revisit=args.revisit,
        contact=args.contact,
        polite=not args.fast,
        redis_url=args.redis,
        lead=not args.follower,
    )
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return exit_status(summary)


if __name__ == "__main__":
    sys.exit(main())
