"""Nothing lost silently: a page that cannot be stored costs itself only, and is recorded against the run.

Faults: a NUL byte in a response header (PostgreSQL text cannot hold it), a 10,000-character URL (past
PostgreSQL's index entry limit), a full disk (OSError ENOSPC at the storage layer on both databases, and a
real full tmpfs under SQLite where the machine lets the tests mount one). Every other page of the batch is
stored, and the failure is in the run's counts and errors, in the crawl child's exit status and in `status`.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import subprocess
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from hostile import HostileServer, Reply, source
from scrapy.settings import Settings
from typer.testing import CliRunner

from crawler.items import PageItem
from crawler.pipelines import StorePagesPipeline
from crawler.run import exit_status, record
from crawler.supervisor import EXIT_PAGES_LOST, crawl
from etl.sources import parse_source
from etl.store import engine as db
from etl.store.models import Page, Run
from etl.store.pages import PageState, store_pages
from etl.store.runs import RunKind, RunStatus, start_run

ARTICLE = "<html><head><title>援疆 {n}</title></head><body><p>援疆项目第{n}篇。</p></body></html>"
FULL_DISK_MARK = "/a/7.html"  # the page the simulated full disk refuses


class Stats(dict):
    def set_value(self, key: str, value: Any) -> None:
        self[key] = value


def item(url: str, body: bytes, headers: dict[str, str] | None = None, kind: str = "article") -> PageItem:
    return PageItem(
        url=url,
        final_url=url,
        source_name="hostile",
        kind=kind,
        status=200,
        headers=headers or {"Content-Type": "text/html; charset=utf-8"},
        body=body,
        fetched_at=datetime.now(UTC),
    )


def pipeline(run_id: int, batch_size: int = 100) -> StorePagesPipeline:
    spider = SimpleNamespace(sources={"hostile": None}, errors=[], counts=Counter())
    crawler: Any = SimpleNamespace(
        settings=Settings({"AIDNEWS_RUN_ID": run_id, "STORE_BATCH_SIZE": batch_size}), spider=spider, stats=Stats()
    )
    store = StorePagesPipeline(crawler)
    store.open_spider()
    return store


@pytest.fixture
def full_disk_for(database_url: str) -> Iterator[None]:
    """The storage layer refuses, as a full disk would, any statement that writes the page FULL_DISK_MARK."""
    engine = db.get_engine()  # the engine the pipeline uses (DATABASE_URL is the test's database)

    def refuse(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO PAGE") and FULL_DISK_MARK in str(parameters):
            raise OSError(errno.ENOSPC, "No space left on device")

    sa.event.listen(engine, "before_cursor_execute", refuse)
    yield
    sa.event.remove(engine, "before_cursor_execute", refuse)


def test_one_bad_page_costs_itself_only_and_is_recorded(database_url: str, full_disk_for: None) -> None:
    engine = db.get_engine(database_url)
    run_id = start_run(RunKind.CRAWL, "hostile", engine)
    store = pipeline(run_id)
    base = "http://127.0.0.1:9/a/"
    long_url = base + "x" * 10_000 + ".html"
    for n in range(10):
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if n == 3:
            headers["X-Trace"] = "before\x00after\x1b[2J"
        store.process_item(item(f"{base}{n}.html", ARTICLE.format(n=n).encode(), headers))
    store.process_item(item(long_url, b"<html>long</html>"))
    store.close_spider()

    with engine.connect() as conn:
        stored = dict(conn.execute(sa.select(Page.url, Page.headers)).all())
    assert sorted(stored) == sorted(f"{base}{n}.html" for n in range(10) if n != 7)
    assert stored[f"{base}3.html"]["x-trace"] == "beforeafter[2J"  # control characters gone, the rest kept
    failures = {f["url"]: f for f in store.failures}
    assert set(failures) == {f"{base}7.html", long_url[:2048]}
    assert failures[f"{base}7.html"]["error_class"] in ("OSError", "StatementError")
    assert "No space left on device" in failures[f"{base}7.html"]["reason"]
    assert "longer than 2048" in failures[long_url[:2048]]["reason"]

    summary = dict(store.crawler.spider.counts)
    assert summary["store_errors"] == 2
    assert exit_status(summary) == EXIT_PAGES_LOST
    record(engine, run_id, summary, store.crawler.spider.errors)
    with engine.connect() as conn:
        counts, errors = conn.execute(sa.select(Run.counts, Run.errors).where(Run.id == run_id)).one()
    assert counts["store_errors"] == 2
    assert {e["url"] for e in errors if e.get("stage") == "store"} == set(failures)


def test_a_page_version_is_stored_once_and_a_return_to_old_content_is_requeued(database_url: str) -> None:
    engine = db.get_engine(database_url)
    url = "http://127.0.0.1:9/a/1.html"
    versions = [ARTICLE.format(n=n).encode() for n in ("A", "B", "A", "A")]
    for body in versions:  # A, B, then A twice more (a re-crawl after a kill, two crawls at once)
        store = pipeline(start_run(RunKind.CRAWL, "hostile", engine))
        store.process_item(item(url, body))
        store.close_spider()
        with engine.begin() as conn:  # the ETL has processed what is there
            conn.execute(sa.update(Page).values(etl_status=PageState.DONE))
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Page.id, Page.sha256, Page.run_id).order_by(Page.id)).all()
    assert len(rows) == 2  # one row per distinct content
    assert rows[0].run_id > rows[1].run_id  # the A row was refreshed by the later fetches

    with engine.begin() as conn:  # fetched again with A while B is the newest row: A goes back in the queue
        store_pages(conn, [{**_row(url, versions[0]), "run_id": rows[0].run_id}])
        state = conn.execute(sa.select(Page.etl_status).where(Page.id == rows[0].id)).scalar_one()
    assert state == PageState.PENDING


def _row(url: str, body: bytes) -> dict[str, Any]:
    from crawler.pipelines import page_row

    return page_row(item(url, body), None)


# -- whole crawls --------------------------------------------------------------------------------------------


def _portal(server: HostileServer, articles: int, extra_links: str = "") -> None:
    links = "".join(f'<a href="/a/{n}.html">{n}</a>' for n in range(articles))
    server.routes["/list"] = Reply(f"<html><body>{links}{extra_links}</body></html>".encode())
    for n in range(articles):
        server.routes[f"/a/{n}.html"] = Reply(ARTICLE.format(n=n).encode())


def test_a_nul_header_and_an_overlong_link_cost_nothing_else(database_url: str, server: HostileServer) -> None:
    long_path = "/a/" + "9" * 10_000 + ".html"
    _portal(server, 12, f'<a href="{long_path}">long</a>')
    server.routes["/a/4.html"] = Reply(
        ARTICLE.format(n=4).encode(), headers=[(b"Content-Type", b"text/html; charset=utf-8"), (b"X-Trace", b"a\x00b")]
    )
    run = crawl([parse_source(source(server), "test")], time_limit=60)
    assert run.status == RunStatus.OK, run.error
    engine = db.get_engine(database_url)
    with engine.connect() as conn:
        pages = dict(conn.execute(sa.select(Page.url, Page.headers).where(Page.kind == "article")).all())
    assert len(pages) == 12
    assert pages[server.url("/a/4.html")]["x-trace"] == "ab"
    assert not any(len(path) > 2048 for path in server.requests)  # never asked for
    assert run.counts["links_too_long"] == 1
    assert any("longer than 2048" in e["reason"] for e in run.errors)


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


@pytest.mark.slow
def test_a_real_full_disk_fails_the_run_keeps_the_other_pages_and_shows_in_status(
    tmp_path: Path, server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = tmp_path / "disk"
    if os.geteuid() != 0 or not _mount_tmpfs(disk, "3m"):
        pytest.skip("mounting a small tmpfs needs root with CAP_SYS_ADMIN (the ENOSPC simulation runs anyway)")
    try:
        url = f"sqlite:///{disk / 'aidnews.db'}"
        db.upgrade(url)
        monkeypatch.setenv("DATABASE_URL", url)
        _portal(server, 10)
        # text (random bytes would be refused as binary before storage) that compresses to more than the 3 MB
        # disk holds, under the 5 MB page cap: 4.4 MB of base64 stores as about 3.3 MB
        big = base64.b64encode(os.urandom(3_300_000))
        server.routes["/a/5.html"] = Reply(b"<html><body><p>" + big + b"</p></body></html>")
        run = crawl([parse_source(source(server), "test")], time_limit=60, engine=db.get_engine(url))
        assert run.status == RunStatus.FAILED
        assert "could not be stored" in (run.error or "")
        assert run.counts["store_errors"] == 1
        lost = [e for e in run.errors if e.get("stage") == "store"]
        assert [e["url"] for e in lost] == [server.url("/a/5.html")]
        assert "full" in lost[0]["reason"].lower() or "space" in lost[0]["reason"].lower()
        with db.get_engine(url).connect() as conn:
            stored = set(conn.execute(sa.select(Page.url).where(Page.kind == "article")).scalars())
        assert stored == {server.url(f"/a/{n}.html") for n in range(10) if n != 5}
        from aidnews.cli import app

        shown = CliRunner().invoke(app, ["status", "--format", "json"])
        recent = json.loads(shown.stdout)["recent_runs"]
        assert recent[0]["status"] == "failed" and "could not be stored" in recent[0]["error"]
        assert recent[0]["counts"]["store_errors"] == 1
    finally:
        db.get_engine(f"sqlite:///{disk / 'aidnews.db'}").dispose()
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_stored_bodies_round_trip() -> None:
    assert zlib.decompress(_row("http://x/a/1.html", b"abc")["body"]) == b"abc"
