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

from crawler import jobs
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
PARTS_POLL_SECONDS = 0.5  # how often the parts of a crawl's workers are read from Redis
WORKER_POLL_SECONDS = 1.0  # how often a crawl worker looks for crawls and for the stop mark (crawler.worker)
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
    """Start the crawl's children, supervise them to their end, and tell how the crawl ended.

    With a Redis frontier the crawl is also announced to crawl workers (crawler.worker); it ends when its own
    children and every worker that joined it are done, and the worst of their endings is the crawl's.
    """
    deadline = time.monotonic() + time_limit
    listed = [s.as_dict() for s in sources]
    payload = json.dumps(listed, ensure_ascii=False).encode("utf-8")
    command = child_command(run_id, revisit=revisit, contact=contact, fast=fast, redis_url=redis_url)
    env = child_env(engine)
    ns = jobs.namespace(engine.url)
    with ExitStack() as stack:
        stderr_files = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(max(1, workers))]
        children: list[subprocess.Popen[bytes]] = []
        if redis_url:
            stack.callback(jobs.withdraw, redis_url, ns, run_id)
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
        if redis_url:
            jobs.announce(redis_url, ns, jobs.Announcement(run_id, listed, revisit, contact, fast))
        progress_of = None if progress is None else lambda: progress(count_stored(engine, run_id))
        stopped_by = _supervise(children, deadline - time.monotonic(), should_stop, progress_of, hurry)
        ending = _outcome(children, stderr_files, stopped_by, time_limit)
        if redis_url:
            # its processes have ended, the run has not: it is this process's again while it waits for the workers
            record_pid(run_id, os.getpid(), engine)
            joined = _Workers(redis_url, ns, run_id, deadline, progress_of, hurry)
            ending = _with_workers(ending, joined, should_stop)
    if ending.status is RunStatus.OK:  # the children finished: did each source give anything?
        ending = _judged(run_id, [s.name for s in sources], engine)
    return ending


@dataclass(frozen=True)
class _Workers:
    """The crawl workers that joined one crawl, as the lead waits for them: where their parts are reported
    (Redis, namespace, run), the crawl's deadline, what hears progress, and whether a stop must be quick."""

    redis_url: str
    ns: str
    run_id: int
    deadline: float
    progress: Callable[[], None] | None
    hurry: Callable[[], bool]

    def mark(self, what: str) -> None:
        jobs.mark(self.redis_url, self.ns, self.run_id, what)

    def parts(self) -> list[jobs.Part]:
        return jobs.parts(self.redis_url, self.ns, self.run_id)


def _with_workers(ending: Ending, workers: _Workers, should_stop: Callable[[], bool]) -> Ending:
    """Wait for the crawl workers that joined the crawl, stopping them when the crawl was stopped or its time
    is up; the crawl's ending, made worse by any worker's."""
    workers.mark("seeded")  # the lead is gone: its followers must not wait for seeds
    if ending.status is not RunStatus.OK:
        workers.mark("stop")
        _await_parts(workers, lambda: True)
        return ending
    stopped_by = _await_parts(workers, should_stop)
    if stopped_by is RunStatus.TIMEOUT:
        return Ending(stopped_by, "stopped at its time limit while crawl workers were still fetching")
    if stopped_by is RunStatus.INTERRUPTED:
        return Ending(stopped_by, "stopped on request (service shutdown or a signal) while crawl workers were fetching")
    return _parts_ending(workers.parts()) or ending


def _await_parts(workers: _Workers, should_stop: Callable[[], bool]) -> RunStatus | None:
    """Wait until no worker of the crawl is still running its part; TIMEOUT or INTERRUPTED when they were told
    to stop (a worker still running KILL_AFTER_SECONDS after that is left to finish on its own)."""
    stopped_by: RunStatus | None = None
    stop_sent_at: float | None = None
    last_report = time.monotonic()
    while True:
        now = time.time()
        if not [p for p in workers.parts() if p.state is jobs.PartState.RUNNING and not p.gone(now)]:
            return stopped_by
        if workers.progress is not None and time.monotonic() - last_report >= PROGRESS_SECONDS:
            last_report = time.monotonic()
            workers.progress()
        stopping = should_stop()
        if stop_sent_at is None and (stopping or time.monotonic() > workers.deadline):
            stopped_by = RunStatus.INTERRUPTED if stopping else RunStatus.TIMEOUT
            workers.mark("stop")
            stop_sent_at = time.monotonic()
        elif stop_sent_at is not None and time.monotonic() - stop_sent_at > (
            SIGNAL_KILL_AFTER_SECONDS if workers.hurry() else KILL_AFTER_SECONDS + WORKER_POLL_SECONDS
        ):
            return stopped_by
        time.sleep(PARTS_POLL_SECONDS)


def _parts_ending(parts: list[jobs.Part]) -> Ending | None:
    """The ending a worker's part forces on the crawl, or None when every part finished normally."""
    now = time.time()
    for part in parts:
        if part.gone(now):
            return Ending(
                RunStatus.FAILED,
                f"crawl worker {part.worker} stopped reporting mid-crawl (killed?): the requests it held were"
                " not fetched",
            )
        if part.state is jobs.PartState.FAILED:
            if part.code == EXIT_PAGES_LOST:
                return Ending(
                    RunStatus.FAILED,
                    f"crawl worker {part.worker} could not store fetched pages: the run's errors list each one",
                )
            detail = f": {part.detail}" if part.detail else ""
            return Ending(RunStatus.FAILED, f"crawl worker {part.worker} exited with code {part.code}{detail}")
        if part.state is jobs.PartState.STOPPED:
            return Ending(
                RunStatus.INTERRUPTED,
                f"crawl worker {part.worker} was stopped before the crawl ended: the requests it had in flight"
                " were not fetched",
            )
    return None


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


def child_env(engine: sa.Engine) -> dict[str, str]:
    """A crawl child's environment: this one, with the database it must write to."""
    return dict(os.environ, DATABASE_URL=engine.url.render_as_string(hide_password=False), PYTHONIOENCODING="utf-8")


def child_command(run_id: int, *, revisit: bool, contact: str | None, fast: bool, redis_url: str | None) -> list[str]:
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
