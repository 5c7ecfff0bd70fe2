"""The aidnews service: crawl and ETL on the schedule in sources.toml, until SIGINT or SIGTERM.

    python scheduler.py [--demo] [--sources sources.toml]     (same as `aidnews serve`)

`plan` turns a sources file into the service's jobs; the service schedules them and `aidnews status` shows
when they would run, from the same list. Jobs are rebuilt from the sources file at every start (no persisted
job store: one that cannot unpickle a job after an upgrade deletes it silently). Each job runs at most one
instance at a time, coalesces missed runs and has a misfire grace time of half its interval. One scheduler
per database: a PostgreSQL advisory lock or a lock file beside the SQLite database; a second copy exits
with a message. Maintenance runs alone: it waits for running crawls and holds new ones back (a VACUUM and
a crawl's writes do not mix on SQLite), and it also runs shortly after start-up when its last run is older
than its schedule says (a service that is often restarted, or was down at the scheduled hour).
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session, col

from crawler.demo.launch import sources_for
from crawler.supervisor import crawl
from etl import clock, logs
from etl.process import etl_pass
from etl.sources import ConfigError, SourceConfig, SourcesFile
from etl.store.engine import database_url, describe, get_engine, upgrade
from etl.store.maintenance import maintenance
from etl.store.models import Run, utcnow
from etl.store.models import Service as ServiceRow
from etl.store.runs import RunKind, RunStatus, reap_stale_runs

log = logging.getLogger("aidnews.service")
LOCK_KEY = 0x616964_6E657773  # "aidnews" as a PostgreSQL advisory lock key
HEARTBEAT_SECONDS = 60
OVERDUE_MAINTENANCE_DELAY = 60.0  # seconds after start-up: the start-up crawls go first
Trigger: TypeAlias = CronTrigger | IntervalTrigger


class AlreadyRunning(RuntimeError):
    """Another scheduler holds this database."""


@contextmanager
def single_instance(engine: sa.Engine) -> Iterator[None]:
    """Hold the one-scheduler-per-database lock for the life of the block."""
    if engine.dialect.name == "postgresql":
        conn = engine.connect()
        try:
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
                raise AlreadyRunning(f"another aidnews scheduler is running on {describe(str(engine.url))}")
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
            raise AlreadyRunning(
                f"another aidnews scheduler (pid {holder}) is running on {path.with_suffix('.db')};"
                f" stop it first (lock file {path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def grace_time(trigger: Trigger, now: datetime) -> int:
    """Half the gap between the trigger's next two fire times, at least a minute."""
    first = trigger.get_next_fire_time(None, now)
    if first is None:
        return 60
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    gap = (second - first).total_seconds() if second else 3600
    return max(60, int(gap / 2))


class JobKind(StrEnum):
    CRAWL = "crawl"  # one source's crawl, on its cron schedule; a successful crawl starts an ETL pass
    ETL = "etl"  # an ETL pass over pending pages, at a fixed interval
    MAINTENANCE = "maintenance"  # pruning and statistics, daily
    HEARTBEAT = "heartbeat"  # the service's own sign of life; not shown as a job


@dataclass(frozen=True)
class JobSpec:
    """One job of the service: what it does and when."""

    id: str  # the scheduler's job id: "crawl:<source>", "etl", "maintenance", "heartbeat"
    name: str  # as logs and `aidnews status` show it
    kind: JobKind
    trigger: Trigger
    grace_seconds: int  # a run missed by less than this (machine asleep, job overrunning) still happens
    source: SourceConfig | None = None  # the source a crawl job crawls
    run_at_start: bool = False  # crawls run once as the service starts, then on their schedule

    @property
    def listed(self) -> bool:
        """Whether `status` shows the job (the heartbeat is the service's own business)."""
        return self.kind is not JobKind.HEARTBEAT


def plan(config: SourcesFile, now: datetime | None = None) -> list[JobSpec]:
    """The service's jobs for this sources file: a crawl per enabled source, the ETL, maintenance, heartbeat."""
    tz = config.settings.timezone
    now = now or datetime.now(ZoneInfo(tz))
    jobs = []
    for source in config.enabled():
        crawl_trigger = CronTrigger.from_crontab(source.schedule, timezone=tz)
        jobs.append(
            JobSpec(
                f"crawl:{source.name}",
                f"crawl {source.name}",
                JobKind.CRAWL,
                crawl_trigger,
                grace_time(crawl_trigger, now),
                source=source,
                run_at_start=True,
            )
        )
    interval = IntervalTrigger(minutes=config.settings.etl_interval_minutes, timezone=tz)
    jobs.append(JobSpec("etl", "etl", JobKind.ETL, interval, grace_time(interval, now)))
    daily = CronTrigger.from_crontab(config.settings.maintenance_schedule, timezone=tz)
    jobs.append(JobSpec("maintenance", "maintenance", JobKind.MAINTENANCE, daily, grace_time(daily, now)))
    jobs.append(
        JobSpec(
            "heartbeat",
            "heartbeat",
            JobKind.HEARTBEAT,
            IntervalTrigger(seconds=HEARTBEAT_SECONDS, timezone=tz),
            HEARTBEAT_SECONDS,
        )
    )
    return jobs


def next_runs(jobs: Sequence[JobSpec], now: datetime | None = None) -> list[dict[str, str]]:
    """When each listed job would next run if the service started now (for `aidnews status`).

    An interval job has no fixed time until the service starts it, so it is described by its interval.
    """
    rows = []
    for job in jobs:
        if not job.listed:
            continue
        if isinstance(job.trigger, IntervalTrigger):
            every = f"every {job.trigger.interval.total_seconds() / 60:g} min"
            rows.append(
                {"job": job.name, "next_run": every + (" and after each crawl" if job.kind is JobKind.ETL else "")}
            )
            continue
        fire = job.trigger.get_next_fire_time(None, now or datetime.now(job.trigger.timezone))
        rows.append({"job": job.name, "next_run": fire.isoformat(timespec="seconds") if fire else ""})
    return rows


def maintenance_overdue(engine: sa.Engine, trigger: Trigger, now: datetime) -> bool:
    """True when maintenance never ran to the end, or its schedule fired since its last run began."""
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(sa.func.max(col(Run.started_at))).where(
                col(Run.kind) == RunKind.MAINTENANCE, col(Run.status) == RunStatus.OK
            )
        ).scalar_one_or_none()
    if isinstance(last, str):  # SQLite hands back an aggregate's time as text
        last = datetime.fromisoformat(last)
    if last is None:
        return True
    if last.tzinfo is None:
        last = last.replace(tzinfo=ZoneInfo("UTC"))
    due = trigger.get_next_fire_time(None, last)
    return due is not None and due <= now


class Service:
    def __init__(self, config: SourcesFile, engine: sa.Engine) -> None:
        self.config = config
        self.engine = engine
        self.stopping = threading.Event()
        self.etl_lock = threading.Lock()
        self.scheduler = BackgroundScheduler(
            timezone=config.settings.timezone,
            executors={"default": ThreadPoolExecutor(max_workers=max(4, len(config.sources) + 2))},
            job_defaults={"max_instances": 1, "coalesce": True},
        )
        self.scheduler.add_listener(self._on_error, EVENT_JOB_ERROR)
        self.scheduler.add_listener(lambda _event: self.heartbeat(), EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
        self.row_id: int | None = None
        self.jobs: list[JobSpec] = []
        # Maintenance runs alone: crawls count themselves in, maintenance waits for none and holds new ones back.
        self.busy = threading.Condition()
        self.crawls_running = 0
        self.maintaining = False
        self.overdue_delay = OVERDUE_MAINTENANCE_DELAY

    # -- jobs -------------------------------------------------------------------------------------------------

    def crawl_job(self, source: SourceConfig) -> None:
        with self.busy:
            while self.maintaining and not self.stopping.is_set():
                self.busy.wait(1.0)
            if self.stopping.is_set():
                return
            self.crawls_running += 1
        try:
            shared = self.config.frontier()
            run = crawl(
                [source],
                time_limit=self.config.settings.crawl_time_limit_minutes * 60,
                contact=self.config.settings.user_agent_contact,
                should_stop=self.stopping.is_set,
                engine=self.engine,
                workers=shared.workers,
                redis_url=shared.redis_url,
            )
        finally:
            with self.busy:
                self.crawls_running -= 1
                self.busy.notify_all()
        if run.status in (RunStatus.OK, RunStatus.PARTIAL):  # pages were stored: extract them
            self.etl_job()

    def etl_job(self) -> None:
        if self.stopping.is_set() or not self.etl_lock.acquire(blocking=False):
            return  # a pass is running: it goes on until no page is pending
        try:
            etl_pass(engine=self.engine, should_stop=self.stopping.is_set)
        finally:
            self.etl_lock.release()

    def maintenance_job(self) -> None:
        settings = self.config.settings
        with self.busy:
            self.maintaining = True
            while self.crawls_running and not self.stopping.is_set():
                self.busy.wait(1.0)
        try:
            if not self.stopping.is_set():
                with self.etl_lock:
                    maintenance(
                        settings.page_retention_days,
                        engine=self.engine,
                        run_retention_days=settings.run_retention_days,
                        failed_run_retention_days=settings.failed_run_retention_days,
                    )
        finally:
            with self.busy:
                self.maintaining = False
                self.busy.notify_all()

    def heartbeat(self, stopped: bool = False) -> None:
        """Record that this service is alive and when each of its jobs runs next (read by `aidnews status`)."""
        # From the triggers, not scheduler.get_jobs(): that takes the job-store lock, which shutdown() holds
        # while it waits for running jobs, and this also runs inside jobs.
        now = datetime.now(self.scheduler.timezone)
        upcoming = []
        for job in self.jobs:
            if job.listed:
                fire = job.trigger.get_next_fire_time(None, now)
                upcoming.append({"job": job.name, "next_run": fire.isoformat() if fire else None})
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
        """Schedule the jobs of `plan`; with `run_now`, each crawl also runs once right away."""
        now = datetime.now(self.scheduler.timezone)
        self.jobs = plan(self.config, now)
        runners: dict[JobKind, Callable[..., None]] = {
            JobKind.CRAWL: self.crawl_job,
            JobKind.ETL: self.etl_job,
            JobKind.MAINTENANCE: self.maintenance_job,
            JobKind.HEARTBEAT: self.heartbeat,
        }
        for job in self.jobs:
            first: dict[str, Any] = {"next_run_time": now} if run_now and job.run_at_start else {}
            if job.kind is JobKind.MAINTENANCE and maintenance_overdue(self.engine, job.trigger, now):
                first = {"next_run_time": now + timedelta(seconds=self.overdue_delay)}
                log.info("maintenance is overdue: it runs %.0f s after start-up", self.overdue_delay)
            self.scheduler.add_job(
                runners[job.kind],
                job.trigger,
                args=[job.source] if job.source else None,
                id=job.id,
                name=job.name,
                misfire_grace_time=job.grace_seconds,
                replace_existing=True,
                **first,
            )

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


def serve(sources: str | Path, *, demo: bool = False, run_now: bool = True, tracebacks: bool = False) -> int:
    """Run the service on the sources file (or, with `demo`, on the demo portal) until SIGINT or SIGTERM.

    Logs JSON lines to stderr, stamped in the sources file's time zone. Returns the exit code: 0 after a clean
    stop, 2 when the service cannot start (a bad sources file, a busy demo port, another scheduler on the
    database, a database it cannot open), said in one log line and one `error:` line; `tracebacks` adds the
    traceback to the log line.
    """
    logs.setup(json_lines=True)
    try:
        with sources_for(
            demo, sources, on_portal=lambda url: log.info("demo portal serving", extra={"url": url})
        ) as config:
            clock.use(config.settings.timezone)
            try:
                engine = get_engine()
                upgrade()
            except (sa.exc.SQLAlchemyError, OSError) as exc:
                raise CannotStart(f"cannot open the database {describe(database_url())}: {_reason(exc)}") from exc
            with single_instance(engine):
                if reaped := reap_stale_runs(engine):
                    log.warning("marked %d runs of a previous, killed service as crashed", reaped)
                service = Service(config, engine)
                signal.signal(signal.SIGTERM, service.stop)
                signal.signal(signal.SIGINT, service.stop)
                log.info(
                    "service started",
                    extra={"database": describe(str(engine.url)), "sources": [s.name for s in config.enabled()]},
                )
                return service.run(run_now=run_now)
    except (ConfigError, AlreadyRunning, CannotStart, OSError) as exc:
        log.error("%s", exc, exc_info=exc if tracebacks else None)
        print(f"error: {exc}", file=sys.stderr)
        return 2


class CannotStart(Exception):
    """The service cannot start, for a reason its message gives in a line."""


def _reason(exc: BaseException) -> str:
    """A database error in a line: the driver's message, without the SQL and the documentation link."""
    inner = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    return lines[0] if lines else type(inner).__name__


def main(argv: list[str] | None = None) -> int:
    """`python scheduler.py`: the command-line arguments of `serve`."""
    parser = argparse.ArgumentParser(prog="scheduler.py", description="Run the aidnews service.")
    parser.add_argument("--demo", action="store_true", help="serve the bundled demo portal and crawl it")
    parser.add_argument("--sources", default=os.environ.get("AIDNEWS_SOURCES", "sources.toml"))
    parser.add_argument("--no-initial-run", action="store_true", help="wait for each job's schedule")
    args = parser.parse_args(argv)
    return serve(args.sources, demo=args.demo, run_now=not args.no_initial_run)


if __name__ == "__main__":
    sys.exit(main())
