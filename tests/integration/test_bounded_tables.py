"""Issue 15.4 on SQLite and PostgreSQL: run records pruned past their retention, table sizes, overdue maintenance."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session

import scheduler
from etl import query
from etl.sources import parse_sources
from etl.store import engine as db
from etl.store.maintenance import maintenance
from etl.store.models import Page, Run

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


def add_run(session: Session, kind: str, status: str, days_ago: float, source: str | None = None) -> int:
    run = Run(
        kind=kind,
        source_name=source,
        status=status,
        started_at=NOW - timedelta(days=days_ago),
        finished_at=None if status == "running" else NOW - timedelta(days=days_ago),
    )
    session.add(run)
    session.commit()
    assert run.id is not None
    return run.id


def test_maintenance_prunes_old_runs_but_keeps_the_latest_of_each_job_failed_ones_longer_and_running_ones(
    database_url: str,
) -> None:
    engine = db.get_engine(database_url)
    with Session(engine) as session:
        old_ok = add_run(session, "crawl", "ok", 40, "hq")
        old_failed = add_run(session, "crawl", "failed", 40, "hq")
        ancient_failed = add_run(session, "crawl", "timeout", 100, "hq")
        recent_ok = add_run(session, "crawl", "ok", 1, "hq")
        only_county = add_run(session, "crawl", "ok", 60, "county")  # the latest of its job: kept however old
        old_etl = add_run(session, "etl", "ok", 45)
        latest_etl = add_run(session, "etl", "ok", 44)
        stuck = add_run(session, "etl", "running", 50)
        page = Page(
            url="http://a.cn/1.html",
            final_url="http://a.cn/1.html",
            kind="list",
            status=200,
            body=zlib.compress(b"x"),
            sha256="x",
            run_id=old_ok,
            etl_status="skipped",
        )
        session.add(page)
        session.commit()
        page_id = page.id
    run = maintenance(engine=engine, run_retention_days=30, failed_run_retention_days=90)
    assert run.status == "ok" and run.counts["runs_pruned"] == 3, run.counts
    with Session(engine) as session:
        left = set(session.execute(sa.select(Run.id)).scalars())
        assert session.get(Page, page_id).run_id is None  # the page stays, without its pruned run
    assert {old_ok, ancient_failed, old_etl} & left == set()
    assert {old_failed, recent_ok, only_county, latest_etl, stuck, run.id} <= left


def test_status_shows_rows_and_bytes_per_table(database_url: str) -> None:
    engine = db.get_engine(database_url)
    with Session(engine) as session:
        add_run(session, "crawl", "ok", 0, "hq")
        tables = {t["table"]: t for t in query.status(session)["tables"]}
    assert {"article", "article_version", "metric", "page", "run", "service", "source"} <= set(tables)
    assert tables["run"]["rows"] == 1 and tables["page"]["rows"] == 0
    assert all(isinstance(t["bytes"], int) and t["bytes"] > 0 for t in tables.values())


def test_maintenance_is_overdue_when_its_schedule_fired_since_its_last_run(sqlite_url: str) -> None:
    engine = db.get_engine(sqlite_url)
    daily = CronTrigger.from_crontab("30 3 * * *", timezone="Asia/Shanghai")
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    assert scheduler.maintenance_overdue(engine, daily, now)  # never ran
    with Session(engine) as session:
        add_run(session, "maintenance", "ok", 2)
    assert scheduler.maintenance_overdue(engine, daily, now)
    maintenance(engine=engine)
    assert not scheduler.maintenance_overdue(engine, daily, now)


def test_the_service_runs_overdue_maintenance_soon_after_start(sqlite_url: str) -> None:
    engine = db.get_engine(sqlite_url)
    config = parse_sources(
        {
            "source": [
                {
                    "name": "hq",
                    "start_urls": ["http://127.0.0.1:9/list.html"],
                    "article_patterns": [r"/c_\d+\.html$"],
                    "enabled": False,
                }
            ]
        }
    )
    service = scheduler.Service(config, engine)
    service.overdue_delay = 0.5
    service.build(run_now=True)
    service.scheduler.start()
    try:
        with Session(engine) as session:
            deadline = datetime.now(UTC) + timedelta(seconds=20)
            done = None
            while datetime.now(UTC) < deadline and done is None:
                session.expire_all()
                done = session.execute(sa.select(Run).where(Run.kind == "maintenance")).scalar_one_or_none()
        assert done is not None, "maintenance did not run after start-up"
    finally:
        service.stop()
        service.scheduler.shutdown(wait=True)
