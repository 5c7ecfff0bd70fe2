"""A distributed crawl: workers share a Redis frontier (scrapy-redis) and store every page once; long-running
crawl workers (`aidnews crawl --worker`) join the crawls an owner announces, and the run waits for them."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from crawler import frontier, jobs
from crawler.demo import DemoPortal, demo_sources, ground_truth
from crawler.supervisor import crawl
from etl.sources import parse_sources
from etl.store import engine as db
from etl.store.models import Page
from etl.urls import canonical_url

ROOT = Path(__file__).resolve().parents[2]


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
    assert frontier.pending(redis_url, run.id, jobs.namespace(engine.url)) == 0


def start_worker(database_url: str, redis_url: str, *extra: str) -> subprocess.Popen[str]:
    """`aidnews crawl --worker`, returned once it listens for crawls (it logs so)."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "aidnews", "crawl", "--worker", "--redis", redis_url, *extra],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stderr is not None
    seen = ""
    while "waiting for crawls" not in seen and (line := worker.stderr.readline()):
        seen += line
    assert "waiting for crawls" in seen, seen[-2000:]
    return worker


def test_a_crawl_worker_joins_an_announced_crawl_and_the_run_waits_for_it(redis_url: str, database_url: str) -> None:
    engine = db.get_engine(database_url)
    worker = start_worker(database_url, redis_url, "--max-crawls", "1", "--idle-exit", "120")
    try:
        with DemoPortal(slow_seconds=2.0) as portal:
            sources = parse_sources({"source": demo_sources(portal.base_url)}).sources
            run = crawl(sources, engine=engine, workers=1, redis_url=redis_url, time_limit=120)
            truth = {canonical_url(t["url"]) for t in ground_truth(portal.base_url)}
        assert worker.wait(timeout=60) == 0, worker.communicate()[1][-2000:]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert run.status == "ok", run.error
    assert run.counts["workers"] == 2  # the owner's own child and the worker's, both recorded before the run ended
    with Session(engine) as session:
        urls = session.execute(sa.select(Page.url).where(Page.kind == "article", Page.status == 200)).scalars().all()
    assert len(urls) == len(set(urls)) and truth <= set(urls)
    assert frontier.pending(redis_url, run.id, jobs.namespace(engine.url)) == 0
    assert not [a for a in jobs.announced(redis_url, jobs.namespace(engine.url)) if a.run_id == run.id]


def test_a_worker_stopped_mid_crawl_exits_cleanly_and_the_run_says_so(redis_url: str, sqlite_url: str) -> None:
    engine = db.get_engine(sqlite_url)
    worker = start_worker(sqlite_url, redis_url)
    result: dict = {}
    try:
        with DemoPortal(slow_seconds=4.0) as portal:
            sources = parse_sources({"source": demo_sources(portal.base_url)}).sources
            thread = threading.Thread(
                target=lambda: result.update(run=crawl(sources, engine=engine, redis_url=redis_url, time_limit=120))
            )
            thread.start()
            ns = jobs.namespace(engine.url)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(
                p.state is jobs.PartState.RUNNING
                for a in jobs.announced(redis_url, ns)
                for p in jobs.parts(redis_url, ns, a.run_id)
            ):
                time.sleep(0.2)
            worker.send_signal(signal.SIGTERM)  # at once: its part must still be running when the signal comes
            assert worker.wait(timeout=40) == 0
            thread.join(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    run = result["run"]
    assert run.status == "interrupted" and "was stopped before the crawl ended" in run.error, run.error


def test_a_worker_needs_redis_and_a_migrated_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AIDNEWS_REDIS_URL"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'none.db'}"
    no_redis = subprocess.run(
        [sys.executable, "-m", "aidnews", "crawl", "--worker"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert no_redis.returncode == 2 and "--redis" in no_redis.stderr
    no_schema = subprocess.run(
        [sys.executable, "-m", "aidnews", "crawl", "--worker", "--redis", "redis://127.0.0.1:1/0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert no_schema.returncode == 2 and "no aidnews database" in no_schema.stderr, no_schema.stderr


def test_the_owners_stop_reaches_a_workers_part(redis_url: str, sqlite_url: str) -> None:
    """A crawl stopped by its owner (here its time limit) stops the parts its workers run, and they say so."""
    engine = db.get_engine(sqlite_url)
    ns = jobs.namespace(engine.url)
    worker = start_worker(sqlite_url, redis_url, "--max-crawls", "1", "--idle-exit", "60")
    try:
        with DemoPortal(slow_seconds=4.0) as portal:
            sources = parse_sources({"source": demo_sources(portal.base_url)}).sources
            run = crawl(sources, engine=engine, redis_url=redis_url, time_limit=8)
            _, log = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, log[-2000:]  # a part stopped on request is not a failure of the worker
    assert run.status == "timeout", run.error
    assert f"part of crawl run {run.id} ended stopped" in log, log[-2000:]  # told to stop, not left to run on
    assert not [a for a in jobs.announced(redis_url, ns) if a.run_id == run.id]


def test_a_worker_that_cannot_reach_redis_says_so_in_one_line(sqlite_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AIDNEWS_REDIS_URL"}
    env["DATABASE_URL"] = sqlite_url
    dead = "redis://:secret@127.0.0.1:1/0"
    done = subprocess.run(
        [sys.executable, "-m", "aidnews", "crawl", "--worker", "--redis", dead, "--idle-exit", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: cannot reach Redis at redis://:***@127.0.0.1:1/0: "), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "secret" not in done.stderr


def test_a_worker_that_loses_redis_keeps_trying_and_fails_if_it_ends_without_it(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis may come back (a restart): the worker waits, warning once, not every poll; but a worker that ends
    (--idle-exit) while it still cannot read the announcements did not wait for crawls, and says so."""
    from typer.testing import CliRunner

    from aidnews.cli import app
    from crawler import worker

    monkeypatch.setattr(jobs, "reachable", lambda url: None)  # Redis answered at start, then went away
    monkeypatch.setattr(worker, "WORKER_POLL_SECONDS", 0.1)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level  # the worker's log setup replaces them
    try:
        done = CliRunner().invoke(app, ["crawl", "--worker", "--redis", "redis://127.0.0.1:1/0", "--idle-exit", "2"])
    finally:
        root.handlers[:], root.level = handlers, level
    assert done.exit_code == 1, done.output
    assert "error: Redis at redis://127.0.0.1:1/0 could not be read when the worker ended" in done.stderr
    assert done.stderr.count("cannot read the crawl announcements") == 1, done.stderr  # once, not every poll
    assert "no crawl announced" not in done.stderr
    assert worker.work("redis://127.0.0.1:1/0", idle_exit=0.3).unreachable


def test_a_crawl_waiting_for_its_workers_is_not_taken_for_a_crashed_one(
    redis_url: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once its own processes have ended, the owner may wait minutes for the workers' parts: its run must name a
    live process meanwhile, or `status` (and any job's reaping) would call the crawl crashed."""
    from crawler import supervisor
    from etl.store.models import Run
    from etl.store.runs import left_running

    engine = db.get_engine(sqlite_url)
    seen: list[str | None] = []
    real = supervisor._with_workers

    def watched(ending: supervisor.Ending, workers: supervisor._Workers, *rest: object) -> supervisor.Ending:
        with Session(engine) as session:
            run = session.get(Run, workers.run_id)
            assert run is not None
            seen.append(left_running(run.status, run.pid, run.host))
        return real(ending, workers, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(supervisor, "_with_workers", watched)
    with DemoPortal() as portal:
        sources = parse_sources({"source": demo_sources(portal.base_url)}).sources
        run = crawl(sources, engine=engine, redis_url=redis_url, time_limit=120)
    assert run.status == "ok", run.error
    assert seen == [None]
