"""The aidnews service: crawl and ETL on the schedule in sources.toml, until SIGINT or SIGTERM.

    python scheduler.py [--demo] [--sources sources.toml]     (same as `aidnews serve`)

Jobs are rebuilt from the sources file at every start (no persisted job store: one that cannot unpickle a
job after an upgrade deletes it silently). Each job runs at most one instance at a time, coalesces missed
runs and has a misfire grace time of half its interval. One scheduler per database: a PostgreSQL advisory
lock or a lock file beside the SQLite database; a second copy exits with a message.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session

from crawler.supervisor import crawl
from etl import logs
from etl.process import etl_pass
from etl.sources import ConfigError, SourceConfig, SourcesFile, load_sources, parse_sources
from etl.store import engine as db
from etl.store.maintenance import maintenance
from etl.store.models import Service as ServiceRow
from etl.store.models import utcnow
from etl.store.runs import reap_stale_runs

log = logging.getLogger("aidnews.service")
LOCK_KEY = 0x616964_6E657773  # "aidnews" as a PostgreSQL advisory lock key
HEARTBEAT_SECONDS = 60


class AlreadyRunning(RuntimeError):
    """Another scheduler holds this database."""


@contextmanager
def single_instance(engine: sa.Engine) -> Iterator[None]:
    """Hold the one-scheduler-per-database lock for the life of the block."""
    if engine.dialect.name == "postgresql":
        conn = engine.connect()
        try:
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
                raise AlreadyRunning(f"another aidnews scheduler is running on {db.describe(str(engine.url))}")
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                conn.commit()
        finally:
            conn.close()  # back to the pool; a dead process's session ends and frees the lock too
        return
    path = Path(engine.url.database or "aidnews.db").with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise AlreadyRunning(f"another aidnews scheduler (pid {holder}) is running on {path.with_suffix('.db')};"
                                 f" stop it first (lock file {path})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def grace_time(trigger: CronTrigger | IntervalTrigger, now: datetime) -> int:
    """Half the gap between the trigger's next two fire times, at least a minute."""
    first = trigger.get_next_fire_time(None, now)
    if first is None:
        return 60
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    gap = (second - first).total_seconds() if second else 3600
    return max(60, int(gap / 2))


class Service:
    def __init__(self, config: SourcesFile, engine: sa.Engine) -> None:
        self.config = config
        self.engine = engine
        self.stopping = threading.Event()
        self.etl_lock = threading.Lock()
        tz = config.settings.timezone
        self.scheduler = BackgroundScheduler(
            timezone=tz,
            executors={"default": ThreadPoolExecutor(max_workers=max(4, len(config.sources) + 2))},
            job_defaults={"max_instances": 1, "coalesce": True},
        )
        self.scheduler.add_listener(self._on_error, EVENT_JOB_ERROR)
        self.scheduler.add_listener(lambda _event: self.heartbeat(), EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
        self.row_id: int | None = None
        self.triggers: dict[str, CronTrigger | IntervalTrigger] = {}  # job name -> trigger, for the heartbeat

    # -- jobs -------------------------------------------------------------------------------------------------

    def crawl_job(self, source: SourceConfig) -> None:
        if self.stopping.is_set():
            return
        workers, redis_url = self.config.frontier()
        run = crawl([source], time_limit=self.config.settings.crawl_time_limit_minutes * 60,
                         contact=self.config.settings.user_agent_contact, should_stop=self.stopping.is_set,
                         engine=self.engine, workers=workers, redis_url=redis_url)
        if run.status == "ok":
            self.etl_job()

    def etl_job(self) -> None:
        if self.stopping.is_set() or not self.etl_lock.acquire(blocking=False):
            return  # a pass is running: it goes on until no page is pending
        try:
            etl_pass(engine=self.engine, should_stop=self.stopping.is_set)
        finally:
            self.etl_lock.release()

    def maintenance_job(self) -> None:
        if not self.stopping.is_set():
            with self.etl_lock:
                maintenance(self.config.settings.page_retention_days, engine=self.engine)

    def heartbeat(self, stopped: bool = False) -> None:
        """Record that this service is alive and when each of its jobs runs next (read by `aidnews status`)."""
        # From the triggers, not scheduler.get_jobs(): that takes the job-store lock, which shutdown() holds
        # while it waits for running jobs, and this also runs inside jobs.
        now = datetime.now(self.scheduler.timezone)
        upcoming = []
        for name, trigger in self.triggers.items():
            fire = trigger.get_next_fire_time(None, now)
            upcoming.append({"job": name, "next_run": fire.isoformat() if fire else None})
        try:
            with Session(self.engine) as session:
                row = session.get(ServiceRow, self.row_id) if self.row_id else None
                if row is None:
                    row = ServiceRow(host=socket.gethostname(), pid=os.getpid())
                row.heartbeat_at = utcnow()
                row.jobs = [] if stopped else upcoming
                row.stopped_at = utcnow() if stopped else None
                session.add(row)
                session.commit()
                self.row_id = row.id
        except Exception:  # a database that is down for a moment must not stop the schedule
            log.warning("could not record the service heartbeat", exc_info=True)

    def _on_error(self, event: JobExecutionEvent) -> None:
        log.error("job %s raised %r", event.job_id, event.exception, extra={"job": event.job_id})

    # -- schedule ---------------------------------------------------------------------------------------------

    def build(self, run_now: bool = True) -> None:
        tz = self.config.settings.timezone
        now = datetime.now(self.scheduler.timezone)
        for source in self.config.enabled():
            trigger = CronTrigger.from_crontab(source.schedule, timezone=tz)
            self.triggers[f"crawl {source.name}"] = trigger
            first: dict[str, Any] = {"next_run_time": now} if run_now else {}
            self.scheduler.add_job(
                self.crawl_job, trigger, args=[source], id=f"crawl:{source.name}", name=f"crawl {source.name}",
                misfire_grace_time=grace_time(trigger, now), replace_existing=True, **first,
            )
        interval = IntervalTrigger(minutes=self.config.settings.etl_interval_minutes, timezone=tz)
        self.triggers["etl"] = interval
        self.scheduler.add_job(self.etl_job, interval, id="etl", name="etl",
                               misfire_grace_time=grace_time(interval, now), replace_existing=True)
        self.scheduler.add_job(self.heartbeat, IntervalTrigger(seconds=HEARTBEAT_SECONDS, timezone=tz), id="heartbeat",
                               name="heartbeat", misfire_grace_time=HEARTBEAT_SECONDS, replace_existing=True)
        maintenance = CronTrigger.from_crontab(self.config.settings.maintenance_schedule, timezone=tz)
        self.triggers["maintenance"] = maintenance
        self.scheduler.add_job(self.maintenance_job, maintenance, id="maintenance", name="maintenance",
                               misfire_grace_time=grace_time(maintenance, now), replace_existing=True)

    def run(self, run_now: bool = True) -> int:
        self.build(run_now)
        self.scheduler.start()
        self.heartbeat()
        for job in self.scheduler.get_jobs():
            log.info("scheduled %s", job.name, extra={"job": job.id, "next_run": str(job.next_run_time)})
        self.stopping.wait()
        log.info("stopping: no new jobs; the running crawl is asked to stop, the ETL batch in flight finishes")
        self.scheduler.shutdown(wait=True)
        self.heartbeat(stopped=True)
        log.info("stopped")
        return 0

    def stop(self, signum: int | None = None, _frame: Any = None) -> None:
        if signum is not None:
            log.info("received %s", signal.Signals(signum).name)
        self.stopping.set()


def next_runs(config: SourcesFile) -> list[dict[str, str]]:
    """When each job would next run, computed from the sources file (for `aidnews status`)."""
    tz = config.settings.timezone
    now = datetime.now(CronTrigger(timezone=tz).timezone)
    rows = []
    for source in config.enabled():
        fire = CronTrigger.from_crontab(source.schedule, timezone=tz).get_next_fire_time(None, now)
        rows.append({"job": f"crawl {source.name}", "next_run": fire.isoformat(timespec="minutes") if fire else ""})
    rows.append({"job": "etl", "next_run": f"every {config.settings.etl_interval_minutes} min and after each crawl"})
    fire = CronTrigger.from_crontab(config.settings.maintenance_schedule, timezone=tz).get_next_fire_time(None, now)
    rows.append({"job": "maintenance", "next_run": fire.isoformat(timespec="minutes") if fire else ""})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scheduler.py", description="Run the aidnews service.")
    parser.add_argument("--demo", action="store_true", help="serve the bundled demo portal and crawl it")
    parser.add_argument("--sources", default=os.environ.get("AIDNEWS_SOURCES", "sources.toml"))
    parser.add_argument("--no-initial-run", action="store_true", help="wait for each job's schedule")
    args = parser.parse_args(argv)
    logs.setup(json_lines=True)
    with ExitStack() as stack:
        return _serve(args, stack)


def _serve(args: argparse.Namespace, stack: ExitStack) -> int:
    try:
        if args.demo:
            from crawler.demo import demo_sources
            from crawler.demo_launch import demo_portal

            base_url = stack.enter_context(demo_portal())
            log.info("demo portal serving", extra={"url": base_url})
            config = parse_sources({"source": demo_sources(base_url)}, "demo portal")
        else:
            config = load_sources(args.sources)
        engine = db.get_engine()
        db.upgrade()
        with single_instance(engine):
            if reaped := reap_stale_runs(engine):
                log.warning("marked %d runs of a previous, killed service as crashed", reaped)
            service = Service(config, engine)
            signal.signal(signal.SIGTERM, service.stop)
            signal.signal(signal.SIGINT, service.stop)
            log.info("service started", extra={"database": db.describe(str(engine.url)),
                                               "sources": [s.name for s in config.enabled()]})
            return service.run(run_now=not args.no_initial_run)
    except (ConfigError, AlreadyRunning, OSError) as exc:
        log.error("%s", exc)
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
