"""The service's schedule rules and its one-scheduler-per-database lock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

import scheduler
from etl.sources import parse_sources
from etl.store import engine as db

SOURCE = {
    "name": "hq",
    "start_urls": ["https://aid.example.gov.cn/list.html"],
    "article_patterns": [r"/c_\d+\.html$"],
    "schedule": "0 */6 * * *",
}
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_grace_time_is_half_the_interval_never_the_one_second_default() -> None:
    assert scheduler.grace_time(CronTrigger.from_crontab("0 */6 * * *", timezone="Asia/Shanghai"), NOW) == 3 * 3600
    assert scheduler.grace_time(IntervalTrigger(minutes=15, timezone="Asia/Shanghai"), NOW) == 450
    assert scheduler.grace_time(CronTrigger.from_crontab("* * * * *", timezone="Asia/Shanghai"), NOW) == 60


def test_jobs_are_built_from_the_sources_file_with_one_instance_and_coalescing(sqlite_url: str) -> None:
    config = parse_sources({"source": [SOURCE, dict(SOURCE, name="off", enabled=False)]})
    service = scheduler.Service(config, db.get_engine(sqlite_url))
    service.build(run_now=False)
    service.scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in service.scheduler.get_jobs()}
        assert set(jobs) == {"crawl:hq", "etl", "maintenance", "heartbeat"}
        for job in jobs.values():
            assert job.max_instances == 1 and job.coalesce is True and job.misfire_grace_time >= 60
        assert str(service.scheduler.timezone) == "Asia/Shanghai"
        assert jobs["crawl:hq"].misfire_grace_time == 3 * 3600
    finally:
        service.scheduler.shutdown(wait=False)


def test_plan_is_the_one_schedule_of_the_service_and_of_status(sqlite_url: str) -> None:
    config = parse_sources(
        {"source": [SOURCE, dict(SOURCE, name="off", enabled=False)], "settings": {"etl_interval_minutes": 20}}
    )
    jobs = scheduler.plan(config, NOW)
    kinds = scheduler.JobKind
    assert [(j.id, j.kind) for j in jobs] == [
        ("crawl:hq", kinds.CRAWL),
        ("etl", kinds.ETL),
        ("maintenance", kinds.MAINTENANCE),
        ("heartbeat", kinds.HEARTBEAT),
    ]
    assert jobs[0].source is not None and jobs[0].source.name == "hq"
    assert [j.run_at_start for j in jobs] == [True, False, False, False]
    assert [j.grace_seconds for j in jobs] == [3 * 3600, 600, 12 * 3600, scheduler.HEARTBEAT_SECONDS]
    assert scheduler.next_runs(jobs, NOW) == [
        {"job": "crawl hq", "next_run": "2024-05-01T12:00:00+08:00"},  # NOW itself is on the schedule
        {"job": "etl", "next_run": "every 20 min and after each crawl"},
        {"job": "maintenance", "next_run": "2024-05-02T03:30:00+08:00"},  # to the second (issue 15)
    ]
    service = scheduler.Service(config, db.get_engine(sqlite_url))
    service.build(run_now=False)
    service.scheduler.start(paused=True)
    try:
        assert {job.id for job in service.scheduler.get_jobs()} == {j.id for j in jobs}
    finally:
        service.scheduler.shutdown(wait=False)


def test_next_runs_lists_every_job() -> None:
    rows = scheduler.next_runs(scheduler.plan(parse_sources({"source": [SOURCE]})))
    assert [r["job"] for r in rows] == ["crawl hq", "etl", "maintenance"]
    assert rows[0]["next_run"].endswith("+08:00")


def test_a_second_scheduler_on_the_same_sqlite_database_is_refused(sqlite_url: str) -> None:
    engine = db.get_engine(sqlite_url)
    with scheduler.single_instance(engine):
        with pytest.raises(scheduler.AlreadyRunning, match="another aidnews scheduler"):
            with scheduler.single_instance(engine):
                pass
    with scheduler.single_instance(engine):  # released on exit
        pass


def test_a_second_scheduler_on_the_same_postgresql_database_is_refused(pg_server_url: str) -> None:
    engine = db.get_engine(pg_server_url)
    with scheduler.single_instance(engine):
        with pytest.raises(scheduler.AlreadyRunning):
            with scheduler.single_instance(engine):
                pass
    with scheduler.single_instance(engine):
        pass
