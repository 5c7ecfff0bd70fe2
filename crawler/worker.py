"""A long-running crawl worker (`aidnews crawl --worker`): it joins the crawls announced in Redis, one at a time.

A distributed crawl is started and recorded by one owner (the scheduler of `aidnews serve`, or `aidnews crawl
--redis URL`), which announces it in Redis (crawler.jobs). Workers, in their own containers or on other
machines, poll those announcements and run a follower of each crawl they have not yet joined: the same
`python -m crawler.run --follower` child the owner's own extra workers run, fetching from the crawl's shared
frontier and storing pages in this worker's DATABASE_URL, which must be the owner's database (the Redis key
namespace is derived from it, so a worker never joins another database's crawl).

The worker reports its part of each crawl (a beat every second, then ok, failed with the exit code, or
stopped); the owner waits for every part before it records the run. When the owner stops the crawl (time
limit, shutdown) or disappears, the worker stops its child with SIGINT (Scrapy's graceful stop) and kills it
KILL_AFTER_SECONDS later. SIGTERM, SIGINT or SIGHUP stop the worker the same way; it then exits 0.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
import sqlalchemy as sa

from crawler import jobs
from crawler.supervisor import KILL_AFTER_SECONDS, SHOWN_STDERR, WORKER_POLL_SECONDS, child_command, child_env
from etl.store.engine import describe, get_engine
from etl.store.runs import ERROR_TAIL

log = logging.getLogger("aidnews.crawl-worker")
QUIET_NOTICE_SECONDS = 600.0  # with no crawl announced for this long, the worker says where it is listening
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass(frozen=True)
class WorkerSummary:
    """What a worker did before it ended."""

    crawls: int  # crawls it joined
    failed: int  # parts that ended failed (not counting parts stopped on request)
    stopped: bool  # it ended on a stop signal
    unreachable: str | None = None  # why Redis could not be read at the worker's last look, if it could not


def work(
    redis_url: str,
    *,
    engine: sa.Engine | None = None,
    max_crawls: int | None = None,
    idle_exit: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> WorkerSummary:
    """Join announced crawls until a stop signal, `max_crawls` crawls, or `idle_exit` seconds without one."""
    engine = engine or get_engine()
    ns = jobs.namespace(engine.url)
    signalled = threading.Event()
    previous = _catch_stop_signals(signalled)
    stop = signalled.is_set if should_stop is None else (lambda: signalled.is_set() or should_stop())
    log.info("crawl worker waiting for crawls", extra={"database": describe(str(engine.url)), "namespace": ns})
    joined: set[int] = set()
    crawls = failed = 0
    unreachable: str | None = None
    idle_since = noticed_at = time.monotonic()
    try:
        while not stop() and (max_crawls is None or crawls < max_crawls):
            try:
                announcement = _next_crawl(redis_url, ns, joined)
            except redis.RedisError as exc:  # Redis may be restarting: wait for it, saying so once
                announcement = None
                if unreachable is None:
                    log.warning("cannot read the crawl announcements from Redis (%s); the worker keeps trying", exc)
                unreachable = str(exc)
            else:
                if unreachable is not None:
                    log.info("Redis answers again")
                unreachable = None
            if announcement is None:
                waited = time.monotonic() - idle_since
                if idle_exit is not None and waited >= idle_exit:
                    if unreachable is None:
                        log.info("no crawl announced for %.0f s: the worker ends", waited)
                    break
                if time.monotonic() - noticed_at >= QUIET_NOTICE_SECONDS:
                    noticed_at = time.monotonic()
                    if unreachable is not None:
                        log.warning("Redis has not answered for a while: %s", unreachable)
                    else:
                        log.info(
                            "no crawl announced for %.0f s; crawls reach workers when the scheduler or `aidnews "
                            "crawl` runs with the same Redis (AIDNEWS_REDIS_URL) and the same database",
                            waited,
                        )
                time.sleep(WORKER_POLL_SECONDS)
                continue
            joined.add(announcement.run_id)
            crawls += 1
            state = run_part(redis_url, ns, announcement, engine, stop)
            failed += state is jobs.PartState.FAILED
            idle_since = noticed_at = time.monotonic()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return WorkerSummary(crawls, failed, signalled.is_set(), unreachable)


def _catch_stop_signals(flag: threading.Event) -> dict[int, Any]:
    """Turn stop signals into `flag` (main thread only); the handlers they replace, to put back."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, lambda _signum, _frame: flag.set())
    return previous


def _next_crawl(redis_url: str, ns: str, joined: set[int]) -> jobs.Announcement | None:
    """The oldest open crawl this worker has not joined yet; None when there is none. Raises redis.RedisError
    when Redis cannot be read."""
    with jobs.client(redis_url) as conn:
        for announcement in jobs.announced(redis_url, ns):
            if announcement.run_id not in joined and jobs.is_open(conn, ns, announcement.run_id):
                return announcement
    return None


def run_part(
    redis_url: str, ns: str, announcement: jobs.Announcement, engine: sa.Engine, stop: Callable[[], bool]
) -> jobs.PartState:
    """Run this worker's part of one crawl: a follower child, supervised until it ends; report how it ended."""
    run_id = announcement.run_id
    name = jobs.this_process()
    command = child_command(
        run_id,
        revisit=announcement.revisit,
        contact=announcement.contact,
        fast=announcement.fast,
        redis_url=redis_url,
    ) + ["--follower"]
    payload = json.dumps(announcement.sources, ensure_ascii=False).encode("utf-8")
    log.info("joining crawl run %d", run_id, extra={"run_id": run_id, "owner": announcement.owner})
    with jobs.client(redis_url) as conn, tempfile.TemporaryFile() as stderr:
        jobs.report_part(conn, ns, run_id, name, jobs.PartState.RUNNING)
        child = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=child_env(engine),
            start_new_session=True,  # a terminal's Ctrl-C reaches the worker, which stops the child once
        )
        try:
            assert child.stdin is not None
            with child.stdin:
                child.stdin.write(payload)
            stopped_by_us = _supervise_part(conn, ns, run_id, name, child, stop)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
        code = child.returncode
        if code == 0:
            state, detail = jobs.PartState.OK, None
        elif stopped_by_us:
            state, detail = jobs.PartState.STOPPED, None
        else:
            stderr.seek(0)
            tail = stderr.read()[-ERROR_TAIL:].decode("utf-8", "replace").strip()[-SHOWN_STDERR:]
            state, detail = jobs.PartState.FAILED, tail or None
        jobs.report_part(conn, ns, run_id, name, state, code=code, detail=detail)
    log.info(
        "part of crawl run %d ended %s",
        run_id,
        state.value,
        extra={"run_id": run_id, "exit_code": code, **({"stderr": detail} if detail else {})},
    )
    return state


def _supervise_part(
    conn: redis.Redis, ns: str, run_id: int, name: str, child: subprocess.Popen[bytes], stop: Callable[[], bool]
) -> bool:
    """Beat for the part while the child runs; stop it when this worker or the crawl's owner says so.

    Returns True when the child was asked to stop (a child that still ends with 0 finished its part).
    """
    told_at: float | None = None
    while child.poll() is None:
        time.sleep(WORKER_POLL_SECONDS)
        try:
            jobs.report_part(conn, ns, run_id, name, jobs.PartState.RUNNING)
            owner_done = not jobs.is_open(conn, ns, run_id)
        except redis.RedisError as exc:  # Redis away for a moment: the child carries on; its frontier is there too
            log.warning("cannot report to Redis: %s", exc)
            owner_done = False
        if told_at is None and (stop() or owner_done):
            why = "a stop signal" if stop() else "the crawl was stopped or withdrawn"
            log.info("stopping the part of crawl run %d (%s)", run_id, why)
            child.send_signal(signal.SIGINT)
            told_at = time.monotonic()
        elif told_at is not None and time.monotonic() - told_at > KILL_AFTER_SECONDS:
            child.kill()
    return told_at is not None
