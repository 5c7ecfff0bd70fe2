"""Run bookkeeping: every crawl, ETL pass and maintenance job records itself in the `run` table.

A run is written twice: `start_run` when it begins (status `running`, with the pid of the process doing
the work) and `finish_run` when it ends. A process that dies between the two leaves its run `running`;
`reap_stale_runs`, called when the service starts and when a crawl or an ETL pass starts, marks those
`crashed` so `status` never shows a run that nobody is doing. Only runs of this machine (`host`) are judged:
another machine's, or another container's, pids mean nothing here.

Until then `status` shows such a run `crashed` (`left_running`), reading only. A crawl that waits for its
crawl workers after its own children have ended names its own process again, so that it is not taken for one.

A crawl that finished is judged per source (`judge_crawl`): a crawl whose sources all failed is `failed`, one
where some did is `partial`, with each failed source and its reasons in the run's error, never `ok`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from etl.store.engine import get_engine
from etl.store.models import Run, utcnow

log = logging.getLogger("aidnews.runs")

ERROR_TAIL = 4000  # characters of a run's error kept: enough for the end of a child's stderr


class RunKind(StrEnum):
    """What a run did."""

    CRAWL = "crawl"
    ETL = "etl"
    MAINTENANCE = "maintenance"


class RunStatus(StrEnum):
    """Every status a run row can hold (the column is plain text; these are the values written to it).

    Only OK is success: the CLI's job commands exit 1 on every other final status.
    """

    RUNNING = "running"  # started, not finished yet (or its process died: see CRASHED)
    OK = "ok"  # finished its work; for a crawl: every source answered (some pages may still have failed)
    PARTIAL = "partial"  # a crawl that finished, but some of its sources failed: nothing they were asked for came
    FAILED = "failed"  # nothing done: every source of a crawl failed, a crawl child's non-zero exit, an exception
    TIMEOUT = "timeout"  # a crawl stopped because it passed its time limit
    INTERRUPTED = "interrupted"  # stopped early because the service was shutting down
    CRASHED = "crashed"  # found `running` after its process had gone (killed, machine restarted)


SHOWN_REASONS = 3  # reasons named per failed source in a crawl's error


@dataclass(frozen=True)
class Verdict:
    """How a finished crawl went, judged from its counts per source: its status, and which sources failed why."""

    status: RunStatus
    error: str | None = None
    failed: tuple[str, ...] = ()


def counts_by_source(counts: dict[str, Any]) -> dict[str, dict[str, int]] | None:
    """A crawl's counts per source (`counts["by_source"]`), or None when the run kept none.

    Crawls recorded before the two per-source tables became one carry `sources` (every source crawled: responses
    and errors) beside `by_source` (the sources with any count, stored pages and new articles included): both are
    read, and where they overlap they agree.
    """
    tables = [counts[key] for key in ("sources", "by_source") if isinstance(counts.get(key), dict)]
    if not tables:
        return None
    merged: dict[str, dict[str, int]] = {}
    for table in tables:
        for name, source_counts in table.items():
            merged.setdefault(name, {}).update(source_counts)
    return merged


def judge_crawl(names: Sequence[str], counts: dict[str, Any]) -> Verdict:
    """Judge a crawl whose children all finished, from its counts per source (responses, errors).

    A source failed when it had errors and no response at all (every request refused, timed out, unresolved,
    or answered with an HTTP error). The crawl is FAILED when every source failed, or when nothing answered
    while errors occurred; PARTIAL when some sources failed; else OK. A source that answered stays OK with its
    errors (a 404 among its pages), which `status` lists.
    """
    per_source = counts_by_source(counts)
    if per_source is None:  # a child that kept no per-source counts: nothing to judge by
        return Verdict(RunStatus.OK)
    failed = [n for n in names if per_source.get(n, {}).get("errors") and not per_source.get(n, {}).get("responses")]
    answered = sum(int(v.get("responses", 0)) for v in per_source.values())
    errors = int(counts.get("errors", 0) or 0)
    if not failed and (answered or not errors):
        return Verdict(RunStatus.OK)
    if failed and len(failed) == len(names):
        head = "every source failed" if len(names) > 1 else "the source failed"
    elif not answered:
        head = f"nothing fetched, {errors} errors"
    else:
        head = f"{len(failed)} of {len(names)} sources failed"
    lines = [f"{name}: nothing fetched, {_reasons(per_source.get(name, {}))}" for name in failed]
    return Verdict(RunStatus.PARTIAL if answered else RunStatus.FAILED, "\n".join([head, *lines]), tuple(failed))


def _reasons(counts: dict[str, int]) -> str:
    """`3 errors: DNS lookup failed 2, timed out 1` from a source's counts."""
    reasons = sorted(
        ((k.removeprefix("error: "), v) for k, v in counts.items() if k.startswith("error: ")),
        key=lambda kv: (-kv[1], kv[0]),
    )
    shown = ", ".join(f"{reason} {n}" for reason, n in reasons[:SHOWN_REASONS])
    more = f", {len(reasons) - SHOWN_REASONS} other reasons" if len(reasons) > SHOWN_REASONS else ""
    total = counts.get("errors", 0)
    return f"{total} error{'s' if total != 1 else ''}" + (f": {shown}{more}" if shown else "")


def start_run(kind: RunKind, source_name: str | None = None, engine: sa.Engine | None = None) -> int:
    """Record that a run begins in this process; returns its id."""
    engine = engine or get_engine()
    with Session(engine) as session:
        run = Run(
            kind=kind, source_name=source_name, pid=os.getpid(), host=socket.gethostname(), status=RunStatus.RUNNING
        )
        session.add(run)
        session.commit()
        assert run.id is not None
        return run.id


def record_pid(run_id: int, pid: int, engine: sa.Engine | None = None) -> None:
    """Name the process that does the run's work, when it is a child rather than the recording process."""
    with (engine or get_engine()).begin() as conn:
        conn.execute(sa.update(Run).where(col(Run.id) == run_id).values(pid=pid))


def finish_run(
    run_id: int,
    status: RunStatus,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
    engine: sa.Engine | None = None,
) -> Run:
    """Record how a run ended; counts are merged into any the run's children already wrote."""
    engine = engine or get_engine()
    with Session(engine, expire_on_commit=False) as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.status = status
        run.finished_at = utcnow()
        if counts:
            merged = dict(run.counts or {})
            merged.update(counts)
            run.counts = merged
        run.error = error[-ERROR_TAIL:] if error else None  # a reaper's guess, made while it ended, is void
        session.add(run)
        session.commit()
        log.info("run finished", extra={"run": _run_summary(run)})
        return run


def process_alive(pid: int | None) -> bool:
    """True when a process with this pid exists on this machine (signal 0 tests without signalling)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def left_running(status: str, pid: int | None, host: str | None) -> str | None:
    """Why a run recorded `running` has in fact crashed: its process, of this machine, no longer exists (killed,
    restarted); None when it may still run. Runs recorded before runs had a host are judged as this machine's."""
    if status != RunStatus.RUNNING or host not in (None, socket.gethostname()) or process_alive(pid):
        return None
    return f"process {pid} ended without recording the run's end"


def reap_stale_runs(engine: sa.Engine | None = None) -> int:
    """Mark runs left `running` by a process of this machine that no longer exists as crashed (`left_running`)."""
    engine = engine or get_engine()
    reaped = 0
    here = sa.or_(col(Run.host) == socket.gethostname(), col(Run.host).is_(None))
    with Session(engine) as session:
        for run in session.execute(sa.select(Run).where(col(Run.status) == RunStatus.RUNNING, here)).scalars():
            why = left_running(run.status, run.pid, run.host)
            if why is not None:
                run.status = RunStatus.CRASHED
                run.finished_at = run.finished_at or utcnow()
                run.error = run.error or why
                session.add(run)
                reaped += 1
        session.commit()
    return reaped


def _run_summary(run: Run) -> dict[str, Any]:
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {
        "id": run.id,
        "kind": run.kind,
        "source": run.source_name,
        "status": run.status,
        "seconds": round(seconds, 2) if seconds is not None else None,
        "counts": run.counts,
        "error": (run.error or "")[-300:] or None,
    }
