"""Faults in the middle of the work: a catastrophic URL pattern, a database that drops every connection.

An operator's `(a+)+$` meets a long URL in a crawl and in an ETL pass: both end within seconds, the URL counts
as not matching, and the timeout is recorded. PostgreSQL terminating every connection of the ETL's database
mid-pass (as a restart does; the shared server itself is never restarted) is retried with back-off: the
pass ends `ok` with every page done, or, when the server stays away, `failed`, with no page marked failed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hostile import HostileServer, Reply, source

import etl.sources
from crawler.items import PageItem
from crawler.pipelines import page_row
from crawler.supervisor import crawl
from etl.process import etl_pass
from etl.sources import parse_source
from etl.store import engine as db
from etl.store.models import Page, Run
from etl.store.pages import PageState, store_pages
from etl.store.runs import RunStatus
from etl.store.sources import sync_sources

EVIL = r"(a+)+$"
ARTICLE = ("<html><head><title>援疆 {n}</title>{canonical}</head><body><article><p>对口援疆项目第{n}批资金到位，"
           "新建学校两所，受益学生约三千人。</p></article></body></html>")
SECONDS = 30.0  # far above what the pattern gets (3 tries of about 0.1 s), far below a hang


@pytest.fixture
def fresh_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pattern has timed out yet in this process (the strikes are per process)."""
    monkeypatch.setattr(etl.sources, "_strikes", {})
    monkeypatch.setattr(etl.sources, "_timeouts", [])


def test_a_catastrophic_pattern_cannot_hang_a_crawl(sqlite_url: str, server: HostileServer) -> None:
    evil_path = "/" + "a" * 2000 + "!"
    server.routes["/list"] = Reply(f'<html><body><a href="{evil_path}">x</a><a href="/a/1.html">1</a>'
                                   "</body></html>".encode())
    server.routes["/a/1.html"] = Reply(ARTICLE.format(n=1, canonical="").encode())
    table = source(server, article_patterns=[r"/a/\d+\.html$", EVIL])
    started = time.monotonic()
    run = crawl([parse_source(table, "test")], time_limit=120)
    assert time.monotonic() - started < SECONDS + 30  # a crawl child's start and stop included
    assert run.status == RunStatus.OK, run.error
    assert "/a/1.html" in server.requests and evil_path not in server.requests
    assert run.counts["pattern_timeouts"] >= 1
    assert any(e["reason"].startswith("pattern timeout") and EVIL in e["reason"] for e in run.errors)


def test_a_catastrophic_pattern_cannot_hang_an_etl_pass(sqlite_url: str, fresh_patterns: None) -> None:
    table = {"name": "evil", "start_urls": ["http://aid.example.cn/list"], "keywords": ["援疆"],
             "article_patterns": [r"/c/\d+\.html$", EVIL]}
    sync_sources([parse_source(table, "test")])
    declared = "http://aid.example.cn/" + "a" * 2000 + "!"  # a canonical URL of the same host, on the evil path
    page = PageItem(url="http://aid.example.cn/c/1.html", final_url="http://aid.example.cn/c/1.html",
                    source_name="evil", kind="article", status=200, headers={"Content-Type": "text/html"},
                    body=ARTICLE.format(n=1, canonical=f'<link rel="canonical" href="{declared}">').encode(),
                    fetched_at=datetime.now(UTC))
    engine = db.get_engine()
    with engine.begin() as conn:
        store_pages(conn, [page_row(page, None)])
    started = time.monotonic()
    run = etl_pass(engine=engine, workers=1)
    assert time.monotonic() - started < SECONDS
    assert run.status == RunStatus.OK, run.error
    assert run.counts["pattern_timeouts"] >= 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(Page.etl_status)).scalar_one() == PageState.DONE


def test_an_overlong_url_is_never_matched(fresh_patterns: None) -> None:
    config = parse_source({"name": "s", "start_urls": ["http://a.cn/"], "article_patterns": [r"\.html$"]}, "test")
    assert config.is_article("http://a.cn/" + "x" * 2000 + ".html")
    assert not config.is_article("http://a.cn/" + "x" * 2100 + ".html")


# -- a database that drops its connections -------------------------------------------------------------------


def _pending_pages(engine: sa.Engine, count: int) -> None:
    sync_sources([parse_source({"name": "hostile", "start_urls": ["http://aid.example.cn/list"],
                                "keywords": ["援疆"], "article_patterns": [r"/c/\d+\.html$"]}, "test")], engine)
    rows = [page_row(PageItem(url=f"http://aid.example.cn/c/{n}.html", final_url=f"http://aid.example.cn/c/{n}.html",
                              source_name="hostile", kind="article", status=200,
                              headers={"Content-Type": "text/html; charset=utf-8"},
                              body=ARTICLE.format(n=n, canonical="").encode(), fetched_at=datetime.now(UTC)), None)
            for n in range(count)]
    with engine.begin() as conn:
        store_pages(conn, rows)


class Outage:
    """Terminates every other connection to the test database (from its own admin connection) on chosen writes."""

    def __init__(self, url: str, engine: sa.Engine, on_writes: set[int]) -> None:
        self.admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.engine = engine
        self.on_writes = on_writes
        self.writes = 0
        self.outages = 0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("INSERT INTO ARTICLE"):
            return
        self.writes += 1
        if self.writes in self.on_writes:
            self.outages += 1
            with self.admin.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = current_database() AND pid <> pg_backend_pid()"))

    def __enter__(self) -> Outage:
        sa.event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self)
        self.admin.dispose()


@pytest.fixture
def pg_engine(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating server connections is a PostgreSQL fault")
    monkeypatch.setattr(db, "RETRY_DELAYS", (0.2, 0.4, 0.8))
    yield db.get_engine(database_url)


def test_connections_dropped_mid_etl_are_retried_and_the_pass_completes(database_url: str,
                                                                         pg_engine: sa.Engine) -> None:
    _pending_pages(pg_engine, 30)
    with Outage(database_url, pg_engine, on_writes={2, 4}) as outage:
        run = etl_pass(engine=pg_engine, batch_size=5, workers=1)
    assert outage.outages == 2
    assert run.status == RunStatus.OK, run.error
    with pg_engine.connect() as conn:
        states = conn.execute(sa.select(Page.etl_status, sa.func.count()).group_by(Page.etl_status)).all()
    assert dict(states) == {PageState.DONE: 30}
    assert run.counts["articles"] == 30 and run.counts["pages"] == 30  # a retried batch is not counted twice


def test_a_database_that_stays_away_fails_the_run_and_marks_no_page_failed(database_url: str,
                                                                          pg_engine: sa.Engine) -> None:
    _pending_pages(pg_engine, 10)
    with Outage(database_url, pg_engine, on_writes=set(range(2, 100))):
        run = etl_pass(engine=pg_engine, batch_size=5, workers=1)
    assert run.status == RunStatus.FAILED and "OperationalError" in (run.error or "")
    with pg_engine.connect() as conn:
        states = dict(conn.execute(sa.select(Page.etl_status, sa.func.count()).group_by(Page.etl_status)).all())
        recorded = conn.execute(sa.select(Run.status).where(Run.id == run.id)).scalar_one()
    assert recorded == RunStatus.FAILED  # closed, not left running
    assert states == {PageState.DONE: 5, PageState.PENDING: 5}
