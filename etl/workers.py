"""`aidnews etl --worker`: an ETL process that shares the pending pages with others, for as long as it runs.

A worker is the ordinary ETL pass (etl.process.etl_pass) run again and again with one set of leases and one
duplicate index (etl.store.claims): each pass claims batches until no page is left to claim and records
itself in `run` like any pass, with the counts of what this worker wrote. Between passes the worker waits,
asking the database every few seconds (backing off to IDLE_MAX_SECONDS) whether pages are waiting, and
records nothing while idle, so an idle worker does not fill the run table. SIGTERM or SIGINT end it after the
batch in flight (etl.stopping).

Workers never migrate: with many of them starting at once, a migration would run in all of them. The schema
is brought up to date by one process (`aidnews db upgrade`, the `migrate` service of docker-compose.yml);
a worker that finds an older schema says so and exits. PostgreSQL only: SQLite has one writer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from etl.process import etl_pass
from etl.stopping import stop_on_signals
from etl.store.claims import DEFAULT_LEASE_SECONDS, Claims, claimable_exists, supported
from etl.store.engine import error_summary, get_engine, require_schema, transient
from etl.store.models import Run
from etl.store.runs import RunStatus

log = logging.getLogger("aidnews.etl.worker")

IDLE_FIRST_SECONDS = 1.0  # the first wait after the queue ran dry: new pages arrive in crawl batches
IDLE_MAX_SECONDS = 30.0  # the longest wait between looks at an idle queue: a page waits at most this long
STOP_POLL_SECONDS = 0.2  # how often a waiting worker checks for a stop signal


class NeedsPostgres(Exception):
    """`etl --worker` on a database that cannot share pages between processes (SQLite)."""


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker works: its batch size, its lease, and whether it drains the queue once and exits."""

    batch_size: int = 100
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    once: bool = False
    processes: int = 1  # extraction processes of this worker; scale by running more workers instead


def check_database(engine: sa.Engine) -> None:
    """NeedsPostgres on SQLite, NoDatabase (etl.store.engine) when the schema is missing or not this version's."""
    if not supported(engine):
        raise NeedsPostgres(
            "etl --worker needs PostgreSQL (several workers share the pending pages through row locks and leases); "
            "on SQLite run `aidnews etl`"
        )
    require_schema(engine)


def run_worker(
    options: WorkerOptions,
    *,
    engine: sa.Engine | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_run: Callable[[Run], None] | None = None,
) -> RunStatus:
    """Work until stopped (or, with `once`, until the queue is empty); the status of the last pass.

    `on_run` hears every recorded pass. A transient database failure while idle is waited out; a pass that
    fails is recorded `failed` by the pass, and the worker goes on after a back-off (the database may return).
    """
    engine = engine or get_engine()
    check_database(engine)
    claims = Claims(lease_seconds=options.lease_seconds)
    last = RunStatus.OK
    wait = IDLE_FIRST_SECONDS
    with stop_on_signals() as signalled:
        stop = signalled if should_stop is None else (lambda: signalled() or should_stop())
        log.info(
            "ETL worker %s started (batch %d, lease %.0f s)", claims.worker, options.batch_size, options.lease_seconds
        )
        while not stop():
            if options.once or _work_waiting(engine):
                run = etl_pass(
                    engine=engine,
                    batch_size=options.batch_size,
                    should_stop=stop,
                    workers=options.processes,
                    claims=claims,
                )
                last = RunStatus(run.status)
                if on_run is not None:
                    on_run(run)
                if options.once:
                    break
                if last is RunStatus.OK and (run.counts or {}).get("pages"):
                    wait = IDLE_FIRST_SECONDS
                    continue  # look again at once: pages may have arrived during the pass
            _sleep(wait, stop)
            wait = min(wait * 2, IDLE_MAX_SECONDS)
        log.info("ETL worker %s stopped", claims.worker)
    return last


def _work_waiting(engine: sa.Engine) -> bool:
    try:
        with engine.connect() as conn:
            return claimable_exists(conn)
    except Exception as exc:
        if not transient(exc):
            raise
        log.warning("cannot look for pending pages (%s); waiting", error_summary(exc))
        return False


def _sleep(seconds: float, stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not stop() and time.monotonic() < deadline:
        time.sleep(min(STOP_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
