"""The service under stress: time limits, killed children, overlapping triggers, SIGTERM mid-crawl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session

import scheduler
from crawler.demo import DemoPortal, demo_sources, ground_truth, trap_truth
from crawler.supervisor import crawl
from etl.sources import parse_sources
from etl.store import engine as db
from etl.store.models import Page, Run
from etl.urls import canonical_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def portal() -> Iterator[DemoPortal]:
    with DemoPortal(slow_seconds=4.0) as running:
        yield running


def slow_source(portal: DemoPortal) -> dict:
    slow = next(t["url"] for t in trap_truth(portal.base_url) if t["kind"] == "slow")
    hq = next(s for s in demo_sources(portal.base_url) if s["name"] == "demo-hq")
    return dict(hq, name="slow", start_urls=[slow], sitemaps=[], feeds=[])


def runs(engine: sa.Engine, kind: str = "crawl") -> list[Run]:
    with Session(engine) as session:
        return list(session.execute(sa.select(Run).where(Run.kind == kind).order_by(Run.id)).scalars())


def test_a_crawl_past_its_time_limit_is_stopped_and_recorded_as_timed_out(portal: DemoPortal, sqlite_url: str) -> None:
    sources = parse_sources({"source": [slow_source(portal)]}).sources
    started = time.monotonic()
    run = crawl(sources, time_limit=1.0, engine=db.get_engine(sqlite_url))
    assert run.status == "timeout" and "time limit" in run.error
    assert time.monotonic() - started < 25


def test_a_killed_crawl_child_is_recorded_with_its_exit_code(portal: DemoPortal, sqlite_url: str) -> None:
    engine = db.get_engine(sqlite_url)
    sources = parse_sources({"source": [slow_source(portal)]}).sources
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(run=crawl(sources, engine=engine)))
    thread.start()
    deadline = time.monotonic() + 20
    pid = None
    while time.monotonic() < deadline and not pid:
        time.sleep(0.1)
        found = runs(engine)
        pid = found[-1].pid if found and found[-1].pid != os.getpid() else None
    assert pid, "the crawl child never started"
    time.sleep(1.0)
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=30)
    run = result["run"]
    assert run.status == "failed" and "exited with code -9" in run.error


def test_overlapping_triggers_never_overlap_runs(sqlite_url: str) -> None:
    engine = db.get_engine(sqlite_url)
    with DemoPortal(slow_seconds=1.5) as answering_slowly:  # each crawl outlasts the 1 s interval, yet succeeds
        source = slow_source(answering_slowly)
        service = scheduler.Service(parse_sources({"source": [source]}), engine)
        service.build(run_now=False)
        service.scheduler.reschedule_job("crawl:slow", trigger=IntervalTrigger(seconds=1))
        service.scheduler.start()
        deadline = time.monotonic() + 300  # two crawls take ~4 s here; a loaded machine may need far longer
        while time.monotonic() < deadline and sum(c.status == "ok" for c in runs(engine)) < 2:
            time.sleep(0.5)
        service.stop()
        service.scheduler.shutdown(wait=True)
    crawls = runs(engine)
    finished = [c for c in crawls if c.status == "ok"]
    assert len(finished) >= 2
    assert all((c.finished_at - c.started_at).total_seconds() > 1 for c in finished)  # each outlasts the interval
    for earlier, later in zip(crawls, crawls[1:], strict=False):
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at


def toml_sources(sources: list[dict]) -> str:
    """sources.toml text for these source dicts (JSON strings and arrays are valid TOML values)."""
    out = []
    for source in sources:
        out.append("[[source]]")
        out += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in source.items()]
    return "\n".join(out) + "\n"


def test_sigterm_mid_crawl_exits_cleanly_and_the_next_start_resumes(portal: DemoPortal, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'svc.db'}"
    db.upgrade(url)
    engine = db.get_engine(url)
    sources_file = tmp_path / "sources.toml"
    sources_file.write_text(toml_sources(demo_sources(portal.base_url)), encoding="utf-8")
    env = dict(os.environ, DATABASE_URL=url)
    service = subprocess.Popen(
        [sys.executable, "scheduler.py", "--sources", str(sources_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        stored = 0
        while time.monotonic() < deadline and stored == 0:
            time.sleep(0.1)
            with engine.connect() as conn:
                stored = conn.execute(sa.select(sa.func.count(Page.id))).scalar_one()
        assert stored > 0
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0, service.stderr.read().decode()[-2000:] if service.stderr else ""
    finally:
        if service.poll() is None:
            service.kill()
    assert {r.status for r in runs(engine)} <= {"ok", "interrupted"}
    resumed = subprocess.run(
        [sys.executable, "-m", "aidnews", "run-once", "--sources", str(sources_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    with Session(engine) as session:
        pages = session.execute(sa.select(Page.url).where(Page.kind == "article", Page.status == 200)).scalars().all()
    assert len(pages) == len(set(pages)), "a page was stored twice"
    wanted = {canonical_url(t["url"]) for t in ground_truth(portal.base_url)}
    assert wanted <= set(pages), f"lost: {sorted(wanted - set(pages))[:5]}"
