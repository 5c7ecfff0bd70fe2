"""What the distributed compose profile runs, run here as processes: no Docker engine, the same commands.

`app`, two `crawl-worker`s and two `etl-worker`s are started with the `command:` each has in
docker-compose.yml (read from the file, so this test breaks when compose drifts), the environment variables
compose gives them pointed at this machine (the test's throw-away PostgreSQL database for the `db` service,
the test Redis for the `redis` service), and app's sources file where compose mounts it (the working
directory, /app in the image) naming the test portal. The portal's articles must all be stored once, with
their figures, and every process must stop cleanly on SIGTERM, as `docker compose stop` sends it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from crawler import jobs
from crawler.demo import DemoPortal, demo_sources, ground_truth
from etl.store import engine as db
from etl.store.models import Article, Metric, Page, Run
from etl.urls import canonical_url

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
COMPOSE_REDIS = "redis://redis:6379/0"  # the compose network's Redis, which the test's Redis stands in for
SETTLE_SECONDS = 600  # the whole pipeline on the demo portal takes ~30-60 s on this loaded 2-core machine
STOP_SECONDS = 60  # compose's stop_grace_period for these services is 45 s


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


def command_of(service: str) -> list[str]:
    """The service's compose `command:`, with `aidnews` run by this interpreter (the worktree's code)."""
    command = COMPOSE["services"][service]["command"]
    assert isinstance(command, list) and command[0] == "aidnews", command
    return [sys.executable, "-m", "aidnews", *command[1:]]


def environment_of(service: str, database_url: str, redis_url: str) -> dict[str, str]:
    """The variables compose sets for the service, with this machine's database and Redis in place of the
    `db` and `redis` containers (app's AIDNEWS_REDIS_URL comes from .env: the distributed profile sets it)."""
    declared = COMPOSE["services"][service].get("environment") or COMPOSE["x-aidnews"]["environment"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDNEWS_REDIS")}
    env["PYTHONPATH"] = str(ROOT)
    for name, value in declared.items():
        if name == "DATABASE_URL":
            assert "@db:5432/" in value
            env[name] = database_url
        elif name == "AIDNEWS_REDIS_URL":
            assert value in (COMPOSE_REDIS, "${AIDNEWS_REDIS_URL:-}"), value
            env[name] = redis_url
        else:
            env[name] = str(value)
    assert "DATABASE_URL" in env
    return env


def start(name: str, service: str, cwd: Path, database_url: str, redis_url: str) -> Service:
    log = cwd / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command_of(service),
            cwd=cwd,
            env=environment_of(service, database_url, redis_url),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Service(name, process, log)


def wait_for_log(service: Service, text: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in service.log.read_text(encoding="utf-8", errors="replace"):
            return
        assert service.process.poll() is None, f"{service.name} exited: {tail(service)}"
        time.sleep(0.2)
    raise AssertionError(f"{service.name} never logged {text!r}: {tail(service)}")


def tail(service: Service) -> str:
    return service.log.read_text(encoding="utf-8", errors="replace")[-3000:]


def sources_toml(sources: list[dict[str, Any]]) -> str:
    """sources.toml text (JSON strings and arrays are valid TOML values)."""
    lines = []
    for source in sources:
        lines.append("[[source]]")
        lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in source.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def running(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The distributed profile's processes over the test portal, until every article page is extracted."""
    assert {"app", "crawl-worker", "etl-worker", "redis"} <= {
        name for name, s in COMPOSE["services"].items() if "distributed" in (s.get("profiles") or [])
    }
    app_mount = [v for v in COMPOSE["services"]["app"]["volumes"] if v.endswith(":/app/sources.toml:ro")]
    assert app_mount, "app reads the sources file compose mounts at /app/sources.toml"
    engine = db.get_engine(postgres_url)
    services: list[Service] = []
    with DemoPortal(slow_seconds=2.0) as portal:
        (tmp_path / "sources.toml").write_text(sources_toml(demo_sources(portal.base_url)), encoding="utf-8")
        try:
            for i in (1, 2):
                services.append(start(f"crawl-worker-{i}", "crawl-worker", tmp_path, postgres_url, redis_url))
                services.append(start(f"etl-worker-{i}", "etl-worker", tmp_path, postgres_url, redis_url))
            for service in services[::2]:
                wait_for_log(service, "waiting for crawls")
            app = start("app", "app", tmp_path, postgres_url, redis_url)
            services.append(app)
            settled = settle(engine, services, len(ground_truth(portal.base_url)))
            stopped = stop_all(services)
        finally:
            for service in services:
                if service.process.poll() is None:
                    service.process.kill()
                    service.process.wait()
        yield {
            "engine": engine,
            "truth": ground_truth(portal.base_url),
            "settled": settled,
            "stopped": stopped,
            "logs": {s.name: tail(s) for s in services},
            "namespace": jobs.namespace(engine.url),
            "redis_url": redis_url,
        }


def settle(engine: sa.Engine, services: list[Service], articles: int) -> float:
    """Seconds until every crawl started so far has ended and no article page is pending, with at least `articles`
    stored."""
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_SECONDS:
        for service in services:
            assert service.process.poll() is None, f"{service.name} exited early: {tail(service)}"
        with engine.connect() as conn:
            crawled, crawling = conn.execute(
                sa.select(
                    sa.func.count().filter(Run.finished_at.is_not(None)),
                    sa.func.count().filter(Run.finished_at.is_(None)),
                ).where(Run.kind == "crawl")
            ).one()
            stored, pending = conn.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.count().filter(Page.etl_status == "pending"),
                ).where(Page.kind == "article")
            ).one()
        # every crawl ended: one still waiting for its workers' parts would be stopped by the test, not by itself
        if crawled and not crawling and stored >= articles and pending == 0:
            return time.monotonic() - started
        time.sleep(1.0)
    raise AssertionError("the pipeline did not settle: " + " | ".join(f"{s.name}: {tail(s)[-600:]}" for s in services))


def stop_all(services: list[Service]) -> dict[str, int | None]:
    """SIGTERM to every process at once (as `docker compose stop` does); each one's exit code."""
    for service in services:
        service.process.send_signal(signal.SIGTERM)
    codes: dict[str, int | None] = {}
    deadline = time.monotonic() + STOP_SECONDS
    for service in services:
        try:
            codes[service.name] = service.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            codes[service.name] = None
    return codes


def test_the_distributed_profile_stores_every_article_once_and_stops_cleanly(running: dict[str, Any]) -> None:
    every_article_stored_once_with_its_figures(running)
    runs_say_who_did_the_work_and_every_process_stops_cleanly(running)


def every_article_stored_once_with_its_figures(running: dict[str, Any]) -> None:
    engine: sa.Engine = running["engine"]
    truth = running["truth"]
    with engine.connect() as conn:
        pages = conn.execute(sa.select(Page.url).where(Page.kind == "article", Page.status == 200)).scalars().all()
        by_url = dict(conn.execute(sa.select(Page.url, Article.id).join(Article, Article.page_id == Page.id)).all())
        primaries = conn.execute(
            sa.select(sa.func.count()).select_from(Article).where(Article.duplicate_of.is_(None))
        ).scalar_one()
        figures = dict(conn.execute(sa.select(Metric.article_id, sa.func.count()).group_by(Metric.article_id)).all())
        doubled = conn.execute(
            sa.select(Metric.article_id, Metric.start, Metric.end)
            .group_by(Metric.article_id, Metric.start, Metric.end)
            .having(sa.func.count() > 1)
        ).all()
    assert len(pages) == len(set(pages)), "an article page was stored twice"
    wanted = {canonical_url(t["url"]) for t in truth}
    assert wanted <= set(pages), f"never stored: {sorted(wanted - set(pages))[:5]}"
    missing = [t["url"] for t in truth if canonical_url(t["url"]) not in by_url]
    assert not missing, f"stored but never extracted: {missing[:5]}"
    assert primaries == len({t["id"] for t in truth})  # every syndicated copy points at its original
    without = [t["url"] for t in truth if t["metrics"] and not figures.get(by_url[canonical_url(t["url"])])]
    assert not without, f"articles whose figures were not stored: {without[:5]}"
    assert not doubled, f"figures stored twice: {doubled[:5]}"


def runs_say_who_did_the_work_and_every_process_stops_cleanly(running: dict[str, Any]) -> None:
    engine: sa.Engine = running["engine"]
    with engine.connect() as conn:
        crawls = conn.execute(sa.select(Run).where(Run.kind == "crawl").order_by(Run.id)).all()
        states = conn.execute(sa.select(Run.kind, Run.status)).all()
    # The portal's articles are all stored before its crawl has walked every list page and trap, so the stop
    # may find a crawl still running: it must then say `interrupted` and why; one that ended by itself is ok.
    # (That the crawl-workers took part in app's crawls is read from their logs below.)
    assert crawls, "app started no crawl"
    for run in crawls:
        if run.status == "interrupted":
            assert run.error and "stopped on request" in run.error, run.error
        else:
            assert run.status == "ok" and run.counts["workers"] >= 1, (run.status, run.error, run.counts)
    assert not [(kind, status) for kind, status in states if status not in ("ok", "interrupted")], states
    codes = running["stopped"]
    assert codes["app"] == 0 and codes["crawl-worker-1"] == 0 and codes["crawl-worker-2"] == 0, codes
    for name in ("etl-worker-1", "etl-worker-2"):  # 0, or the SIGTERM status a job command ends with
        assert codes[name] in (0, 128 + signal.SIGTERM), (name, codes, running["logs"][name])
    for name in ("crawl-worker-1", "crawl-worker-2"):
        assert "joining crawl run" in running["logs"][name], running["logs"][name]
    assert not jobs.announced(running["redis_url"], running["namespace"])  # every crawl was withdrawn
