"""Issue 10.5 on a 500-article archive: the first crawl pages to the end, a later one stops at what it knows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from crawler.demo.archive import LIST_FIRST, ArchivePortal
from crawler.supervisor import crawl
from etl.health import source_health
from etl.process import etl_pass
from etl.sources import parse_sources
from etl.store import engine as db
from etl.store.models import Article, Page, Source

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def stored_articles(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(Page.url).where(Page.kind == "article", Page.status == 200)).scalars())


def list_hits(archive: ArchivePortal) -> int:
    return sum(n for path, n in archive.hits.items() if path.startswith(LIST_FIRST.rsplit("/", 1)[0] + "/index"))


def article_hits(archive: ArchivePortal) -> dict[str, int]:
    return {path: n for path, n in archive.hits.items() if "/t" in path}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A first crawl, an ETL pass, 7 new articles, and a second crawl, into one SQLite database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('archive') / 'aidnews.db'}"
    db.upgrade(url)
    engine = db.get_engine(url)
    with ArchivePortal() as archive:
        # max_depth 1: an article is one hop from its list page, and pagination must not count as a hop.
        config = parse_sources({"source": [archive.source(max_depth=1)]})
        first = crawl(config.sources, engine=engine, time_limit=240)
        after_first = {
            "lists": list_hits(archive),
            "articles": article_hits(archive),
            "stored": stored_articles(engine),
            "urls": archive.article_urls(),
            "list_pages": archive.list_pages(),
        }
        etl = etl_pass(engine=engine)
        archive.hits.clear()
        new = archive.publish(7)
        second = crawl(config.sources, engine=engine, time_limit=240)
        yield {
            "engine": engine,
            "first": first,
            "second": second,
            "etl": etl,
            "new": new,
            "after_first": after_first,
            "lists2": list_hits(archive),
            "articles2": article_hits(archive),
            "base": archive.base_url,
        }
    engine.dispose()


def test_the_first_crawl_pages_through_all_50_list_pages_and_stores_all_500_articles(crawled: dict) -> None:
    first, seen = crawled["first"], crawled["after_first"]
    assert first.status == "ok", first.error
    assert seen["list_pages"] == 50 and len(seen["urls"]) == 500
    assert seen["lists"] == 50 and first.counts["by_source"]["archive"]["fetched_list"] == 50
    assert seen["stored"] == seen["urls"]  # the sitemap-only and feed-only ones included
    assert all(n == 1 for n in seen["articles"].values())  # every article fetched once


def test_every_stored_page_becomes_an_article(crawled: dict) -> None:
    etl = crawled["etl"]
    assert etl.status == "ok" and etl.counts["articles"] == 500, etl.counts
    with Session(crawled["engine"]) as session:
        assert session.execute(sa.select(sa.func.count(Article.id))).scalar_one() == 500


def test_a_second_crawl_reads_the_first_list_pages_and_fetches_only_the_7_new_articles(crawled: dict) -> None:
    second = crawled["second"]
    assert second.status == "ok", second.error
    new_paths = {url.split(crawled["base"], 1)[1] for url in crawled["new"]}
    assert set(crawled["articles2"]) == new_paths and all(n == 1 for n in crawled["articles2"].values())
    counts = second.counts["by_source"]["archive"]
    # Page 1 holds the new articles, page 2 only stored ones: paging stops there.
    assert crawled["lists2"] == 2 and counts["fetched_list"] == 2 and counts["pagination_stopped"] == 1
    assert counts["fetched_article"] == 7
    assert stored_articles(crawled["engine"]) == crawled["after_first"]["urls"] | set(crawled["new"])


def test_status_shows_list_pages_read_per_crawl(crawled: dict) -> None:
    with Session(crawled["engine"]) as session:
        health = {row["source"]: row for row in source_health(session)}
    assert health["archive"]["list_pages_last_runs"][:2] == [2, 50]


def test_max_list_pages_bounds_a_first_crawl(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'capped.db'}"
    db.upgrade(url)
    engine = db.get_engine(url)
    with ArchivePortal() as archive:
        config = parse_sources({"source": [archive.source(max_list_pages=10, sitemaps=[], feeds=[])]})
        run = crawl(config.sources, engine=engine, time_limit=120)
        assert list_hits(archive) == 10
    assert run.status == "ok" and run.counts["list_pages_capped"] == 1
    assert len(stored_articles(engine)) == 90  # 9 articles on each of the 10 pages read
    engine.dispose()


def test_paging_stops_early_only_after_a_crawl_that_read_every_list_page(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    db.upgrade(url)
    engine = db.get_engine(url)
    with ArchivePortal() as archive:
        sources = parse_sources({"source": [archive.source()]}).sources
        archive.failing.add("/yjdt/index_5.html")  # the first crawl cannot read past page 4
        broken = crawl(sources, engine=engine, time_limit=240)
        assert broken.status == "ok" and broken.counts["by_source"]["archive"]["list_errors"] == 1
        assert len(stored_articles(engine)) < 500
        archive.failing.clear()
        archive.hits.clear()
        whole = crawl(sources, engine=engine, time_limit=240)
        assert list_hits(archive) == 50  # page 1 held nothing new, yet no full crawl had been made: on to the end
        assert stored_articles(engine) == archive.article_urls()
        archive.hits.clear()
        later = crawl(sources, engine=engine, time_limit=240)
        assert list_hits(archive) == 1 and later.counts["pagination_stopped"] == 1
    with Session(engine) as session:
        assert (
            session.execute(sa.select(Source.full_crawl_run).where(Source.name == "archive")).scalar_one() == whole.id
        )
    engine.dispose()
