"""Commands that run jobs: `serve`, `run-once`, `crawl`, `etl`, and `demo-site`, the portal they can crawl.

Each job command reports its run on stderr and exits 1 when the run did not end `ok`, so scripts and cron
can tell. The jobs themselves live below this package (crawler.supervisor, etl.process, scheduler).
"""

from __future__ import annotations

import errno
import json
import socket
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from aidnews.common import (
    PORT_MAX,
    PORT_MIN,
    ROWS_MAX,
    DemoOpt,
    SourcesOpt,
    chosen_sources,
    console,
    err,
    fail,
    prepare_db,
    reason,
    report_run,
    sources_path,
)
from etl import clock
from etl.sources import ConfigError, SourceConfig, SourcesFile

TIME_LIMIT_MAX = 7 * 24 * 3600.0  # seconds: a crawl limit past a week is a typo
WORKERS_MAX = 64  # crawl processes of one machine
BATCH_MAX = 10_000  # pages per ETL transaction
LEASE_DEFAULT = 300.0  # seconds: etl.store.claims.DEFAULT_LEASE_SECONDS, spelled out so --help imports no storage
LEASE_MAX = 24 * 3600.0  # seconds: a lease past a day would keep a dead worker's pages for a day


def serve(demo: DemoOpt = False, sources: SourcesOpt = None) -> None:
    """Run the service: crawl and ETL on the schedule in the sources file, until SIGINT/SIGTERM.

    Creates or migrates the database DATABASE_URL names, then logs JSON lines to stderr.

    Example: aidnews serve --demo
    """
    import scheduler
    from aidnews import common

    raise typer.Exit(scheduler.serve(sources_path(sources), demo=demo, tracebacks=common.verbose))


def run_once(demo: DemoOpt = False, sources: SourcesOpt = None) -> None:
    """One crawl and one ETL pass, then exit (0 when both succeed).

    Creates or migrates the database DATABASE_URL names; exits 1 when a source failed or the ETL did.

    Example: aidnews run-once --demo
    """
    prepare_db()
    with chosen_sources(demo, sources) as config:
        shared = config.frontier()
        crawl_run = _crawl_with_progress(
            _select(config, None),
            config,
            config.settings.crawl_time_limit_minutes * 60,
            workers=shared.workers,
            redis_url=shared.redis_url,
        )
    report_run(crawl_run)
    etl_run = _etl_with_progress()
    report_run(etl_run)
    if crawl_run.status != "ok" or etl_run.status != "ok":
        raise typer.Exit(1)


def crawl(
    demo: DemoOpt = False,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only", metavar="NAME", help="crawl only the source of this name in the sources file (repeatable)"
        ),
    ] = None,
    sources: SourcesOpt = None,
    revisit: Annotated[bool, typer.Option(help="re-check stored articles with conditional requests")] = False,
    time_limit: Annotated[
        float, typer.Option(min=1, max=TIME_LIMIT_MAX, help="seconds before the crawl is stopped")
    ] = 3600,
    workers: Annotated[
        int | None, typer.Option(min=1, max=WORKERS_MAX, help="crawl processes sharing a Redis frontier")
    ] = None,
    redis: Annotated[str | None, typer.Option(help="Redis URL of the shared frontier (or $AIDNEWS_REDIS_URL)")] = None,
    worker: Annotated[
        bool, typer.Option(help="run as a crawl worker: join the crawls announced in Redis until stopped")
    ] = False,
    max_crawls: Annotated[
        int | None, typer.Option(min=1, help="with --worker: end after joining this many crawls")
    ] = None,
    idle_exit: Annotated[
        float | None,
        typer.Option(min=0, max=TIME_LIMIT_MAX, help="with --worker: end after this many seconds without a crawl"),
    ] = None,
) -> None:
    """Crawl the configured sources (a Scrapy child process) and store every fetched page raw in DATABASE_URL.

    Exits 1 when a source failed: the run is `partial`, or `failed` when every source did. With a Redis
    frontier the crawl is also announced to crawl workers, and ends when they are done.

    `aidnews status` names each source's last error.

    With --worker it crawls nothing of its own: it joins the crawls the scheduler (`aidnews serve`) or
    `aidnews crawl --redis URL` announce on that Redis for the same database, until SIGTERM; exits 1 when a
    part it ran failed.

    Example: aidnews crawl --sources sources.toml --only xinjiang-gov-aid   (the demo portal: aidnews crawl --demo)
    """
    if worker:
        _crawl_worker(redis, max_crawls, idle_exit)
        return
    if max_crawls is not None or idle_exit is not None:
        raise fail("--max-crawls and --idle-exit go with --worker")
    prepare_db()
    with chosen_sources(demo, sources) as config:
        shared = config.frontier()
        redis = redis or shared.redis_url
        workers = workers or (shared.workers if redis else 1)
        if workers > 1 and not redis:
            raise fail("--workers above 1 needs --redis (or $AIDNEWS_REDIS_URL): the workers share a Redis frontier")
        run = _crawl_with_progress(
            _select(config, only), config, time_limit=time_limit, revisit=revisit, workers=workers, redis_url=redis
        )
    report_run(run)
    if run.status != "ok":
        raise typer.Exit(1)


def _crawl_worker(redis: str | None, max_crawls: int | None, idle_exit: float | None) -> None:
    """`aidnews crawl --worker`: join announced crawls (crawler.worker) with JSON log lines on stderr."""
    import os

    from redis.exceptions import RedisError

    from crawler import jobs
    from crawler.worker import work
    from etl import logs
    from etl.store import engine as db

    url = redis or os.environ.get("AIDNEWS_REDIS_URL") or None
    if not url:
        raise fail("--worker needs --redis URL (or $AIDNEWS_REDIS_URL): crawls reach workers through Redis")
    engine = db.get_engine()
    try:  # workers never migrate (one process does: `aidnews db upgrade`, or the service); they need the schema
        db.require_schema(engine)
    except db.NoDatabase as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # the worker could not store a page: say so now, not at the first crawl
        raise fail(f"cannot open the database {db.describe(db.database_url())}: {reason(exc)}") from None
    try:  # nor could it hear of a crawl: a worker that starts without Redis is misconfigured (compose restarts it)
        jobs.reachable(url)
    except (RedisError, ValueError) as exc:
        raise fail(f"cannot reach Redis at {db.describe(url)}: {reason(exc)}") from None
    logs.setup(json_lines=True)
    summary = work(url, engine=engine, max_crawls=max_crawls, idle_exit=idle_exit)
    err.print(
        f"crawl worker: joined {summary.crawls} crawls, {summary.failed} parts failed"
        + (" (stopped by a signal)" if summary.stopped else ""),
        markup=False,
    )
    if summary.unreachable is not None and not summary.stopped:
        raise fail(
            f"Redis at {db.describe(url)} could not be read when the worker ended, so it heard of no crawl: "
            f"{summary.unreachable}",
            code=1,
        )
    if summary.failed:
        raise typer.Exit(1)


def etl(
    reprocess: Annotated[bool, typer.Option(help="re-run the current extractor over stored pages, offline")] = False,
    since: Annotated[datetime | None, typer.Option(help="with --reprocess: only pages fetched since this date")] = None,
    limit: Annotated[int | None, typer.Option(min=1, max=ROWS_MAX, help="process at most this many pages")] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", "--batch", min=1, max=BATCH_MAX, help="pages per transaction")
    ] = 100,
    worker: Annotated[
        bool, typer.Option(help="PostgreSQL: share the pending pages with other workers, running until stopped")
    ] = False,
    once: Annotated[bool, typer.Option(help="with --worker: exit once no page is left to claim")] = False,
    lease: Annotated[
        float, typer.Option(min=1, max=LEASE_MAX, help="with --worker: seconds a claimed batch stays this worker's")
    ] = LEASE_DEFAULT,
) -> None:
    """Turn pending pages into articles and metrics; a failed page gets its error and the job goes on.

    Works on the database DATABASE_URL names (migrating it first). With --worker it never migrates: it needs
    PostgreSQL at the newest schema (`aidnews db upgrade`), and stops after its batch on SIGTERM or Ctrl-C.

    Example: aidnews etl --reprocess --since 2024-01-01   (many machines: aidnews etl --worker)
    """
    if worker:
        if reprocess or since is not None or limit is not None:
            raise fail("--worker takes only --once, --lease and --batch: reprocess with a plain `aidnews etl`")
        _etl_worker(batch_size, lease, once)
        return
    if once:
        raise fail("--once goes with --worker")
    prepare_db()
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=clock.zone())  # a date without a zone is in the configured one
    run = _etl_with_progress(reprocess=reprocess, since=since, limit=limit, batch_size=batch_size)
    report_run(run)
    if run.status != "ok":
        raise typer.Exit(1)


def _etl_worker(batch_size: int, lease: float, once: bool) -> None:
    from etl.store.engine import NoDatabase, database_url, describe, get_engine
    from etl.workers import NeedsPostgres, WorkerOptions, check_database, run_worker

    engine = get_engine()
    try:
        check_database(engine)
    except (NeedsPostgres, NoDatabase) as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # a dead server, a bad URL
        raise fail(f"cannot open the database {describe(database_url())}: {reason(exc)}") from None
    options = WorkerOptions(batch_size=batch_size, lease_seconds=lease, once=once)
    status = run_worker(options, engine=engine, on_run=report_run)
    if status != "ok":
        raise typer.Exit(1)


def demo_site(
    port: Annotated[int, typer.Option(min=PORT_MIN, max=PORT_MAX, help="port on 127.0.0.1")] = 8000,
    truth: Annotated[
        Path | None, typer.Option(help="write every article page and its ground truth here, then exit")
    ] = None,
) -> None:
    """Serve the bundled demo portal (three simulated aid-news sites) on 127.0.0.1 until Ctrl-C.

    Example: aidnews demo-site --port 8000   (or --truth pages/ to save each page with its ground-truth JSON)
    """
    from crawler.demo import ground_truth, render_articles
    from crawler.demo import serve as serve_portal

    if truth is not None:
        truth.mkdir(parents=True, exist_ok=True)
        base = f"http://127.0.0.1:{port}"
        answers = {t["url"]: t for t in ground_truth(base)}
        for page in render_articles():
            name = page.path.strip("/").replace("/", "_").rsplit(".", 1)[0]
            (truth / f"{name}.html").write_bytes(page.body)
            record = dict(answers[base + page.path], content_type=page.content_type)
            (truth / f"{name}.truth.json").write_text(
                json.dumps(record, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
            )
        console.print(f"{len(answers)} article pages and their ground truth written to {truth}", markup=False)
        return
    from crawler.demo.corpus import edits_dir_from_env

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:  # a taken port: said before announcing
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
        console.print(f"demo portal on http://127.0.0.1:{port}/  (Ctrl-C stops it)", markup=False)
        serve_portal("127.0.0.1", port, edits=edits_dir_from_env())
    except OSError as exc:  # the port is taken, or not ours to bind
        raise fail(
            f"cannot serve the demo portal on 127.0.0.1:{port}: {exc.strerror or exc}"
            + (" (choose another with --port)" if exc.errno == errno.EADDRINUSE else "")
        ) from None


def _select(sources: SourcesFile, names: list[str] | None) -> list[SourceConfig]:
    if names:
        try:
            return [sources.by_name(n) for n in names]
        except ConfigError as exc:
            raise fail(str(exc)) from None
    chosen = sources.enabled()
    if not chosen:
        raise fail("no enabled source: add a [[source]] to the sources file, or use --demo")
    return chosen


def _crawl_with_progress(
    chosen: list[SourceConfig],
    config: SourcesFile,
    time_limit: float,
    revisit: bool = False,
    workers: int = 1,
    redis_url: str | None = None,
) -> Any:
    """A crawl with a live count of stored pages on the terminal."""
    from crawler.supervisor import crawl as run_crawl

    names = ", ".join(s.name for s in chosen)
    columns = (
        SpinnerColumn(),
        TextColumn("crawling {task.description}: {task.completed} pages stored"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(names, total=None)
        return run_crawl(
            chosen,
            time_limit=time_limit,
            revisit=revisit,
            contact=config.settings.user_agent_contact,
            progress=lambda n: bar.update(task, completed=n),
            workers=workers,
            redis_url=redis_url,
        )


def _etl_with_progress(
    reprocess: bool = False, since: datetime | None = None, limit: int | None = None, batch_size: int = 100
) -> Any:
    """An ETL pass with a progress bar over the pages it will take."""
    from etl.extract import EXTRACTOR_VERSION
    from etl.process import etl_pass
    from etl.staleness import STALE_PER_PASS, count_stale
    from etl.store.engine import get_engine
    from etl.store.pages import count_pending

    total = count_pending(get_engine(), reprocess=reprocess, since=since)
    if not reprocess:  # the pass also takes a batch of the pages an older extractor read (etl.staleness)
        total += min(count_stale(get_engine(), EXTRACTOR_VERSION), STALE_PER_PASS)
    if limit is not None:
        total = min(total, limit)
    columns = (TextColumn("ETL"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("pages", total=total)
        return etl_pass(
            reprocess=reprocess,
            since=since,
            limit=limit,
            batch_size=batch_size,
            progress=lambda n: bar.advance(task, n),
        )
