"""What a crawl reads and writes for revisits, on SQLite and PostgreSQL: known pages with their article's date
and last check (crawler.run.load_known), and checks recorded on the newest version (etl.store.pages)."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from crawler.run import load_known
from etl.store import engine as db
from etl.store.models import Article, Page, Source
from etl.store.pages import record_checks

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def add_page(session: Session, url: str, sha: str, fetched: datetime) -> int:
    page = Page(
        url=url,
        final_url=url,
        source_name="s",
        status=200,
        body=zlib.compress(b"x"),
        sha256=sha,
        fetched_at=fetched,
        etag=f'"{sha}"',
    )
    session.add(page)
    session.commit()
    assert page.id is not None
    return page.id


def test_known_pages_carry_their_articles_date_and_checks_land_on_the_newest_version(database_url: str) -> None:
    engine = db.get_engine(database_url)
    published = NOW - timedelta(days=3)
    with Session(engine) as session:
        first = add_page(session, "http://a.cn/c_1.html", "v1", NOW - timedelta(days=2))
        newest = add_page(session, "http://a.cn/c_1.html", "v2", NOW - timedelta(days=1))
        session.add(
            Article(
                url="http://a.cn/c_1.html",
                canonical_url="http://a.cn/c_1.html",
                content_hash="h",
                page_id=first,
                published_at=published,
                source_name="s",
            )
        )
        add_page(session, "http://a.cn/c_2.html", "w1", NOW - timedelta(days=1))  # no article (skipped by ETL)
        session.commit()
    known = load_known(engine, ["s"])
    assert known["http://a.cn/c_1.html"].sha256 == "v2" and known["http://a.cn/c_1.html"].source == "s"
    assert known["http://a.cn/c_1.html"].article_at == published
    assert known["http://a.cn/c_2.html"].article_at is None
    record_checks(engine, {"http://a.cn/c_1.html": NOW})
    with Session(engine) as session:
        assert session.get(Page, newest).checked_at == NOW and session.get(Page, first).checked_at is None
    assert load_known(engine, ["s"])["http://a.cn/c_1.html"].checked_at == NOW


def test_a_full_crawl_is_remembered_until_the_sources_lists_move(database_url: str) -> None:
    from etl.sources import parse_source
    from etl.store.sources import fully_crawled, record_full_crawls, sync_sources

    engine = db.get_engine(database_url)
    source = parse_source({"name": "s", "start_urls": ["http://a.cn/l.html"], "article_patterns": ["c_"]}, "t")
    sync_sources([source], engine)
    assert (
        record_full_crawls(7, {"by_source": {"s": {"fetched_list": 3, "pagination_stopped": 1}}}, ["s"], engine) == []
    )  # a crawl that stopped early read only part of the lists
    assert record_full_crawls(8, {"by_source": {"s": {"fetched_list": 3, "list_errors": 1}}}, ["s"], engine) == []
    assert record_full_crawls(8, {"by_source": {"s": {}}}, ["s"], engine) == []  # crawled, but nothing read
    assert fully_crawled(engine, ["s"]) == set()
    assert record_full_crawls(9, {"by_source": {"s": {"fetched_list": 50}}}, ["s"], engine) == ["s"]
    record_full_crawls(10, {"by_source": {"s": {"fetched_list": 50}}}, ["s"], engine)  # the first one stays
    with Session(engine) as session:
        assert session.execute(sa.select(Source.full_crawl_run).where(Source.name == "s")).scalar_one() == 9
    sync_sources([source], engine)  # nothing moved
    assert fully_crawled(engine, ["s"]) == {"s"}
    sync_sources(
        [parse_source({"name": "s", "start_urls": ["http://a.cn/other.html"], "article_patterns": ["c_"]}, "t")], engine
    )
    assert fully_crawled(engine, ["s"]) == set()
