"""Runs and supervises one crawl: Scrapy in child processes, with a time limit and a clean stop.

Scrapy's Twisted reactor cannot be restarted inside a process, so every crawl runs `python -m crawler.run`
in a child (or several, sharing a Redis frontier). This parent records the run, hands the children their
sources on their standard input, watches the time limit and the service's stop request, and records how the
crawl ended: its exit code and the tail of its stderr when it failed, or the limit it hit.

Nothing outlives the parent: the children die with it (`--parent-pid`, see crawler.run), no temporary file
is left on disk (sources go through a pipe; stderr goes to unlinked files), and SIGTERM/SIGINT/SIGHUP of a
command-line crawl stop the children and record the run `interrupted` before the process ends
(etl.stopping). Runs left `running` by processes that died anyway are reaped when a crawl starts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO

import sqlalchemy as sa
from sqlmodel import col

from etl.sources import SourceConfig
from etl.stopping import stop_on_signals
from etl.store.engine import get_engine
from etl.store.models import Run
from etl.store.pages import count_stored
from etl.store.runs import (
    ERROR_TAIL,
    RunKind,
    RunStatus,
    finish_run,
    judge_crawl,
    reap_stale_runs,
    record_pid,
    start_run,
)
from etl.store.sources import record_full_crawls, sync_sources

POLL_SECONDS = 0.2  # how often the children, the clock and the stop request are checked
PROGRESS_SECONDS = 1.0  # how often `progress` hears the count of stored pages
KILL_AFTER_SECONDS = 20.0  # SIGINT lets Scrapy finish its requests in flight; a child still there is killed
SIGNAL_KILL_AFTER_SECONDS = 2.5  # the same after a stop signal: whoever sent it waits a few seconds, not 20
SHOWN_STDERR = 2000  # characters of a failed child's stderr in the run's error
# How a crawl child (crawler.run) exits, besides 0 (finished) and 1 (stopped early, or failed):
EXIT_PAGES_LOST = 3  # the crawl ran, but some fetched pages could not be stored (counts["store_errors"])
EXIT_ORPHANED = 4  # its parent went away and it did not stop within the grace period


@dataclass(frozen=True)
class Ending:
    """How a crawl ended: its run status, and why when not ok."""

    status: RunStatus
    error: str | None = None


def crawl(
    sources: Sequence[SourceConfig],
    *,
    time_limit: float = 3600.0,
    revisit: bool = False,
    contact: str | None = None,
    fast: bool = False,
    source_label: str | None = None,
    should_stop: Callable[[], bool] | None = None,
    engine: sa.Engine | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    redis_url: str | None = None,
) -> Run:
    """Run one Scrapy crawl of `sources` in a child process (or `workers` processes sharing a Redis frontier).

    The children get SIGINT (Scrapy's graceful shutdown) when the time limit passes or `should_stop` says so,
    and SIGKILL if they have not finished 20 s later. `progress`, when given, is called about once a second
    with the number of pages stored so far.
    """
    engine = engine or get_engine()
    if workers > 1 and not redis_url:
        raise ValueError("a crawl with several workers needs a Redis URL for their shared frontier")
    reap_stale_runs(engine)
    sync_sources(sources, engine)
    with stop_on_signals() as signalled:
        run_id = start_run(RunKind.CRAWL, source_label or ",".join(s.name for s in sources), engine)
        stop = signalled if should_stop is None else (lambda: signalled() or should_stop())
        try:
            ending = _run_children(
                run_id,
                sources,
                engine,
                time_limit,
                stop,
                progress,
                workers,
                redis_url,
                revisit=revisit,
                contact=contact,
                fast=fast,
                hurry=signalled,
            )
        except BaseException as exc:
            finish_run(
                run_id, RunStatus.FAILED, error=f"the supervisor failed: {type(exc).__name__}: {exc}", engine=engine
            )
            raise
        run = finish_run(run_id, ending.status, error=ending.error, engine=engine)
        if run.status in (RunStatus.OK, RunStatus.PARTIAL):  # a failed source has list errors: not marked
            record_full_crawls(run_id, run.counts or {}, [s.name for s in sources], engine)
        return run


def _run_children(
    run_id: int,
    sources: Sequence[SourceConfig],
    engine: sa.Engine,
    time_limit: float,
    should_stop: Callable[[], bool],
    progress: Callable[[int], None] | None,
    workers: int,
    redis_url: str | None,
    *,
    revisit: bool,
    contact: str | None,
    fast: bool,
    hurry: Callable[[], bool],
) -> Ending:
    """Start the crawl's children, supervise them to their end, and tell how the crawl ended."""
    payload = json.dumps([s.as_dict() for s in sources], ensure_ascii=False).encode("utf-8")
    command = _child_command(run_id, revisit=revisit, contact=contact, fast=fast, redis_url=redis_url)
    env = dict(os.environ, DATABASE_URL=str(engine.url.render_as_string(hide_password=False)), PYTHONIOENCODING="utf-8")
    with ExitStack() as stack:
        stderr_files = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(max(1, workers))]
        children: list[subprocess.Popen[bytes]] = []
        if redis_url:
            stack.callback(_clear_frontier, redis_url, run_id)
        stack.callback(_stop_all, children)  # on the way out, first of all (an ExitStack unwinds backwards)
        for i, stderr in enumerate(stderr_files):
            # A session of their own: a terminal's Ctrl-C reaches the parent only, which stops them once.
            child = subprocess.Popen(
                command + (["--follower"] if i else []),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                start_new_session=True,
            )
            children.append(child)
            assert child.stdin is not None
            with child.stdin:
                child.stdin.write(payload)
        record_pid(run_id, children[0].pid, engine)
        progress_of = None if progress is None else lambda: progress(count_stored(engine, run_id))
        stopped_by = _supervise(children, time_limit, should_stop, progress_of, hurry)
        ending = _outcome(children, stderr_files, stopped_by, time_limit)
    if ending.status is RunStatus.OK:  # the children finished: did each source give anything?
        ending = _judged(run_id, [s.name for s in sources], engine)
    return ending


def _judged(run_id: int, names: list[str], engine: sa.Engine) -> Ending:
    """The crawl's ending from what each source gave (etl.store.runs.judge_crawl), read from its run row."""
    with engine.connect() as conn:
        counts = conn.execute(sa.select(col(Run.counts)).where(col(Run.id) == run_id)).scalar_one_or_none() or {}
    verdict = judge_crawl(names, counts)
    return Ending(verdict.status, verdict.error)


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    """Kill and reap any child still running (the supervisor is leaving on an error)."""
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()


def _clear_frontier(redis_url: str, run_id: int) -> None:
    from crawler import frontier  # here: it loads Scrapy, which the supervising process otherwise never needs

    frontier.clear(redis_url, run_id)


def _child_command(run_id: int, *, revisit: bool, contact: str | None, fast: bool, redis_url: str | None) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "crawler.run",
        "--run-id",
        str(run_id),
        "--sources",
        "-",
        "--parent-pid",
        str(os.getpid()),
    ]
    if revisit:
        command.append("--revisit")
    if contact:
        command += ["--contact", contact]
    if fast:
        command.append("--fast")
    if redis_url:
        command += ["--redis", redis_url]
    return command


def _supervise(
    children: list[subprocess.Popen[bytes]],
    time_limit: float,
    should_stop: Callable[[], bool],
    progress: Callable[[], None] | None,
    hurry: Callable[[], bool] = lambda: False,
) -> RunStatus | None:
    """Wait for the children; returns TIMEOUT or INTERRUPTED when they had to be stopped, else None.

    Children asked to stop are killed KILL_AFTER_SECONDS later, or SIGNAL_KILL_AFTER_SECONDS when `hurry` says
    a stop signal came (they may lose the pages of their last seconds, which the next crawl fetches again).
    """
    deadline = time.monotonic() + time_limit
    stopped_by: RunStatus | None = None
    stop_sent_at: float | None = None
    last_report = time.monotonic()
    while any(child.poll() is None for child in children):
        time.sleep(POLL_SECONDS)
        if progress is not None and time.monotonic() - last_report >= PROGRESS_SECONDS:
            last_report = time.monotonic()
            progress()
        stopping = should_stop()
        if stop_sent_at is None and (stopping or time.monotonic() > deadline):
            stopped_by = RunStatus.INTERRUPTED if stopping else RunStatus.TIMEOUT
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            stop_sent_at = time.monotonic()
        elif stop_sent_at is not None and time.monotonic() - stop_sent_at > (
            SIGNAL_KILL_AFTER_SECONDS if hurry() else KILL_AFTER_SECONDS
        ):
            for child in children:
                if child.poll() is None:
                    child.kill()
    return stopped_by


def _outcome(
    children: list[subprocess.Popen[bytes]],
    stderr_files: Sequence[IO[bytes]],
    stopped_by: RunStatus | None,
    time_limit: float,
) -> Ending:
    """How the crawl ended, from how its children did."""
    if stopped_by is RunStatus.TIMEOUT:
        return Ending(stopped_by, f"stopped after its time limit of {time_limit:.0f} s")
    if stopped_by is RunStatus.INTERRUPTED:
        return Ending(stopped_by, "stopped on request (service shutdown or a signal)")
    for child, stderr in zip(children, stderr_files, strict=True):
        if child.returncode == EXIT_PAGES_LOST:
            return Ending(
                RunStatus.FAILED,
                "fetched pages could not be stored: the run's errors list each one (counts: store_errors)",
            )
        if child.returncode != 0:
            stderr.seek(0)
            tail = stderr.read()[-ERROR_TAIL:].decode("utf-8", "replace")
            return Ending(
                RunStatus.FAILED, f"crawler exited with code {child.returncode}: {tail.strip()[-SHOWN_STDERR:]}"
            )
    return Ending(RunStatus.OK)
