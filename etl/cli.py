"""The `aidnews` command line: crawl, ETL, serve, query and extract.

Every command reads `DATABASE_URL` (default: SQLite at data/aidnews.db) and, where it needs sources,
`--sources` (default: $AIDNEWS_SOURCES or ./sources.toml).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crawler.config import ConfigError, SourceConfig, SourcesFile, load_sources, parse_sources

app = typer.Typer(
    help="aidnews: Chinese aid-work news (援疆 援藏 援青 东西部协作 定点帮扶) into a queryable database.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema: upgrade and inspect migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

console = Console()
err = Console(stderr=True)

SourcesOpt = Annotated[
    Path | None, typer.Option("--sources", help="sources file [default: $AIDNEWS_SOURCES or ./sources.toml]")
]
DemoOpt = Annotated[bool, typer.Option("--demo", help="start the bundled demo portal on 127.0.0.1 and use it")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json")]


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def sources_path(path: Path | None) -> Path:
    return path or Path(os.environ.get("AIDNEWS_SOURCES", "sources.toml"))


def read_sources(path: Path | None) -> SourcesFile:
    try:
        return load_sources(sources_path(path))
    except ConfigError as exc:
        raise fail(str(exc)) from None


@contextmanager
def demo_sources_if(demo: bool, path: Path | None) -> Iterator[SourcesFile]:
    """The configured sources, or the demo portal's (started for the duration of the block)."""
    if not demo:
        yield read_sources(path)
        return
    from crawler.demo import demo_sources
    from crawler.demo_launch import demo_portal

    with ExitStack() as stack:
        try:
            base_url = stack.enter_context(demo_portal())
        except OSError as exc:
            raise fail(str(exc)) from None
        err.print(f"demo portal on {base_url}")
        yield parse_sources({"source": demo_sources(base_url)}, "demo portal")


def prepare_db() -> None:
    from etl import db

    try:
        db.upgrade()
    except Exception as exc:  # a dead server or a bad URL: say which, without a traceback
        raise fail(f"cannot open the database {db.describe(db.database_url())}: {exc}") from None


def emit(rows: list[dict[str, Any]], fmt: str, columns: list[str], title: str | None = None) -> None:
    if fmt == "json":
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=_json_value) + "\n")
        return
    if fmt != "table":
        raise fail(f"unknown format {fmt!r}: use table or json")
    table = Table(title=title, show_lines=False, expand=False)
    for column in columns:
        wide = column in ("title", "sentence", "warnings", "error")
        table.add_column(column, overflow="fold", ratio=3 if wide else None, no_wrap=column in ("id", "article_id"))
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    console.print(table)
    if not rows:
        err.print("nothing stored yet: run [bold]aidnews run-once --demo[/] or [bold]aidnews crawl[/] first")


def _json_value(value: Any) -> Any:
    """Exact decimals as JSON numbers (230000000, not "230000000" nor 229999999.99999997); the rest as text."""
    from etl.metrics import json_number

    return json_number(value) if isinstance(value, Decimal) else str(value)


_LOCAL_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?\+08:00$")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and (match := _LOCAL_TIME.match(value)):
        return f"{match.group(1)} {match.group(2)}"  # Beijing time, as every time in the tables
    if isinstance(value, Decimal):
        return f"{value:,}"  # as many decimals as the figure was written with: 465,000,000 and 0.8
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


# -- database ----------------------------------------------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (the service also does this at start).

    Example: aidnews db upgrade   (with DATABASE_URL=postgresql+psycopg://aid@localhost/aidnews for PostgreSQL)
    """
    from etl import db

    prepare_db()
    console.print(f"{db.describe(db.database_url())} is at revision {db.current_revision()}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database and the newest one this version knows.

    Example: aidnews db current
    """
    from etl import db

    try:
        current = db.current_revision()
    except Exception as exc:
        raise fail(f"cannot open the database {db.describe(db.database_url())}: {exc}") from None
    console.print(f"database: {db.describe(db.database_url())}\ncurrent:  {current}\nnewest:   {db.head_revision()}")


# -- demo portal -------------------------------------------------------------------------------------------------

@app.command("demo-site")
def demo_site(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8000,
    truth: Annotated[Path | None, typer.Option(help="write every article page and its ground truth here, then exit")]
    = None,
) -> None:
    """Serve the bundled demo portal (three simulated aid-news sites) on 127.0.0.1 until Ctrl-C.

    Example: aidnews demo-site --port 8000   (or --truth pages/ to save each page with its ground-truth JSON)
    """
    from crawler.demo import ground_truth, render_articles, serve

    if truth is not None:
        truth.mkdir(parents=True, exist_ok=True)
        base = f"http://127.0.0.1:{port}"
        answers = {t["url"]: t for t in ground_truth(base)}
        for page in render_articles():
            name = page.path.strip("/").replace("/", "_").rsplit(".", 1)[0]
            (truth / f"{name}.html").write_bytes(page.body)
            record = dict(answers[base + page.path], content_type=page.content_type)
            (truth / f"{name}.truth.json").write_text(json.dumps(record, ensure_ascii=False, indent=1, default=str),
                                                      encoding="utf-8")
        console.print(f"{len(answers)} article pages and their ground truth written to {truth}")
        return
    console.print(f"demo portal on http://127.0.0.1:{port}/  (Ctrl-C stops it)")
    serve("127.0.0.1", port)


# -- jobs --------------------------------------------------------------------------------------------------------

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


_SHOWN_COUNTS = ("pages_stored", "fetched_article", "articles_known_skipped", "not_modified", "errors", "pages",
                 "articles", "metrics", "skipped", "duplicates", "requeued", "pages_pruned", "metrics_added",
                 "metrics_removed", "metric_values_changed", "metric_units_changed", "metric_categories_changed",
                 "metric_kinds_changed")


def _report_run(run: Any) -> None:
    counts = run.counts or {}
    shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()
                      if k in _SHOWN_COUNTS or k.startswith("error: "))
    colour = "green" if run.status == "ok" else "red"
    err.print(f"{run.kind} run {run.id}: [{colour}]{run.status}[/] {shown}", highlight=False)
    if run.error:
        err.print(f"  {run.error.strip().splitlines()[-1][:500]}")


@app.command()
def crawl(
    demo: DemoOpt = False,
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="only this source (repeatable)")] = None,
    sources: SourcesOpt = None,
    revisit: Annotated[bool, typer.Option(help="re-check stored articles with conditional requests")] = False,
    time_limit: Annotated[float, typer.Option(help="seconds before the crawl is stopped")] = 3600,
    workers: Annotated[int | None, typer.Option(help="crawl processes sharing a Redis frontier")] = None,
    redis: Annotated[str | None, typer.Option(help="Redis URL of the shared frontier (or $AIDNEWS_REDIS_URL)")] = None,
) -> None:
    """Crawl the configured sources (a Scrapy child process) and store every fetched page raw.

    Example: aidnews crawl --demo   (distributed: aidnews crawl --workers 4 --redis redis://127.0.0.1:6379/0)
    """
    prepare_db()
    with demo_sources_if(demo, sources) as config:
        configured_workers, configured_redis = config.frontier()
        redis = redis or configured_redis
        workers = workers or (configured_workers if redis else 1)
        if workers > 1 and not redis:
            raise fail("--workers above 1 needs --redis (or $AIDNEWS_REDIS_URL): the workers share a Redis frontier")
        run = _run_crawl(_select(config, source), config, time_limit=time_limit, revisit=revisit, workers=workers,
                         redis_url=redis)
    _report_run(run)
    if run.status != "ok":
        raise typer.Exit(1)


def _run_crawl(chosen: list[SourceConfig], config: SourcesFile, time_limit: float, revisit: bool = False,
               workers: int = 1, redis_url: str | None = None) -> Any:
    """A crawl with a live count of stored pages on the terminal."""
    from rich.progress import SpinnerColumn

    from etl import jobs

    names = ", ".join(s.name for s in chosen)
    columns = (SpinnerColumn(), TextColumn("crawling {task.description}: {task.completed} pages stored"),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(names, total=None)
        return jobs.crawl(chosen, time_limit=time_limit, revisit=revisit, contact=config.settings.user_agent_contact,
                          progress=lambda n: bar.update(task, completed=n), workers=workers, redis_url=redis_url)


def _run_etl(reprocess: bool = False, since: datetime | None = None, limit: int | None = None,
             batch_size: int = 100) -> Any:
    import sqlalchemy as sa

    from etl import jobs
    from etl.db import get_engine
    from etl.models import Page

    with get_engine().connect() as conn:
        query = sa.select(sa.func.count(Page.id))
        if reprocess:
            query = query.where(Page.kind == "article", Page.status == 200)
            if since is not None:
                query = query.where(Page.fetched_at >= since)
        else:
            query = query.where(Page.etl_status == "pending")
        total = conn.execute(query).scalar_one()
    if limit is not None:
        total = min(total, limit)
    columns = (TextColumn("ETL"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("pages", total=total)
        run = jobs.etl_pass(reprocess=reprocess, since=since, limit=limit, batch_size=batch_size,
                            progress=lambda n: bar.advance(task, n))
    return run


@app.command()
def etl(
    reprocess: Annotated[bool, typer.Option(help="re-run the current extractor over stored pages, offline")] = False,
    since: Annotated[datetime | None, typer.Option(help="with --reprocess: only pages fetched since this date")] = None,
    limit: Annotated[int | None, typer.Option(help="process at most this many pages")] = None,
    batch_size: Annotated[int, typer.Option(help="pages per transaction")] = 100,
) -> None:
    """Turn pending pages into articles and metrics; a failed page gets its error and the job goes on.

    Example: aidnews etl --reprocess --since 2024-01-01
    """
    prepare_db()
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    run = _run_etl(reprocess=reprocess, since=since, limit=limit, batch_size=batch_size)
    _report_run(run)
    if run.status != "ok":
        raise typer.Exit(1)


@app.command("run-once")
def run_once(demo: DemoOpt = False, sources: SourcesOpt = None) -> None:
    """One crawl and one ETL pass, then exit (0 when both succeed).

    Example: aidnews run-once --demo
    """
    prepare_db()
    with demo_sources_if(demo, sources) as config:
        workers, redis_url = config.frontier()
        crawl_run = _run_crawl(_select(config, None), config, config.settings.crawl_time_limit_minutes * 60,
                               workers=workers, redis_url=redis_url)
    _report_run(crawl_run)
    etl_run = _run_etl()
    _report_run(etl_run)
    if crawl_run.status != "ok" or etl_run.status != "ok":
        raise typer.Exit(1)


@app.command()
def serve(demo: DemoOpt = False, sources: SourcesOpt = None) -> None:
    """Run the service: crawl and ETL on the schedule in the sources file, until SIGINT/SIGTERM.

    Example: aidnews serve --demo
    """
    import scheduler

    args = ["--demo"] if demo else []
    if sources:
        args += ["--sources", str(sources)]
    raise typer.Exit(scheduler.main(args))


# -- queries -----------------------------------------------------------------------------------------------------

@app.command()
def articles(
    limit: Annotated[int, typer.Option(help="rows to show")] = 50,
    program: Annotated[str | None, typer.Option(help="援疆, 援藏, 援青, 东西部协作, 定点帮扶 or 对口支援")] = None,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    search: Annotated[str | None, typer.Option(help="text in the title or body")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """List stored articles, newest first.

    Example: aidnews articles --program 援疆 --format json
    """
    from etl import query
    from etl.db import session_scope

    prepare_db()
    with session_scope() as session:
        rows = query.articles(session, limit=limit, program=program, source=source, search=search)
    columns = ["id", "published_at", "title", "program", "recipient", "metrics", "source"]
    emit(rows, fmt, columns if fmt == "table" else list(rows[0]) if rows else columns, title="articles")


@app.command()
def metrics(
    category: Annotated[str | None, typer.Option(help="funding, investment, personnel, jobs, … (metrics.md)")] = None,
    unit: Annotated[str | None, typer.Option(help="CNY, person, count, m2, …")] = None,
    program: Annotated[str | None, typer.Option(help="only articles of this aid program")] = None,
    group_by: Annotated[str | None, typer.Option(help="provider, recipient, program, category, year or source")] = None,
    evidence: Annotated[int, typer.Option(help="with --group-by: show up to N sentences behind each total")] = 0,
    article: Annotated[int | None, typer.Option(help="only the metrics of this article id")] = None,
    limit: Annotated[int, typer.Option(help="rows to show")] = 100,
    fmt: FormatOpt = "table",
) -> None:
    """List the figures articles state, or total them per group and unit (CNY is never added to persons).

    Example: aidnews metrics --group-by recipient --category funding
    """
    from etl import query
    from etl.db import session_scope

    prepare_db()
    with session_scope() as session:
        if group_by:
            try:
                rows = query.grouped_metrics(session, group_by, category=category, unit=unit, program=program,
                                             with_evidence=evidence)
            except ValueError as exc:
                raise fail(str(exc)) from None
            emit(rows, fmt, [group_by, "unit", "kind", "total", "range", "mentions", "articles"],
                 title=f"metrics by {group_by}")
            if evidence and fmt == "table":
                for row in rows:
                    for item in row.get("evidence", []):
                        console.print(f"  [dim]{row[group_by]} {row['unit']}[/] #{item['article_id']} "
                                      f"{item['text']}: {item['sentence']}")
            return
        rows = query.metrics(session, limit=limit, category=category, unit=unit, program=program,
                             article_id=article)
    emit(rows, fmt, ["article_id", "text", "value", "unit", "qualifier", "category", "money_kind", "subject", "title"],
         title="metrics")


@app.command()
def export(
    what: Annotated[str, typer.Argument(help="articles or metrics")],
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write; .csv or .jsonl")],
    primary_only: Annotated[bool, typer.Option(help="leave out syndicated copies")] = False,
) -> None:
    """Export every article or metric to CSV (opens in a spreadsheet) or JSON Lines.

    Example: aidnews export metrics -o metrics.csv --primary-only
    """
    import csv

    from etl import query
    from etl.db import session_scope

    if what not in ("articles", "metrics"):
        raise fail(f"cannot export {what!r}: choose articles or metrics")
    if output.suffix not in (".csv", ".jsonl"):
        raise fail(f"{output}: the file name must end in .csv or .jsonl")
    prepare_db()
    with session_scope() as session:
        if what == "articles":
            rows = query.articles(session, limit=10**9, include_duplicates=not primary_only)
        else:
            rows = [r for r in query.metrics(session, limit=10**9) if not (primary_only and r["duplicate"])]
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8-sig" if output.suffix == ".csv" else "utf-8", newline="") as fh:
        if output.suffix == ".jsonl":
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, default=_json_value) + "\n")
        elif rows:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: " ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
                             for row in rows)
    err.print(f"{len(rows)} {what} written to {output}")


@app.command()
def status(fmt: FormatOpt = "table", sources: SourcesOpt = None) -> None:
    """What the service has done and will do: next runs, last runs, pending pages, per-source health.

    Example: aidnews status --format json
    """
    from etl import db, query
    from etl.db import session_scope

    prepare_db()
    with session_scope() as session:
        info = query.status(session)
    info["database"] = db.describe(db.database_url())
    info["database_bytes"] = db.size_bytes()
    path = sources_path(sources)
    service = info.get("service")
    if service and service["state"] == "running":
        info["next_runs"] = service["jobs"]
    elif path.exists():  # no service running: when its jobs would run if started now with this file
        import scheduler

        try:
            info["next_runs"] = scheduler.next_runs(load_sources(path))
        except ConfigError as exc:
            info["next_runs"] = []
            info["config_error"] = str(exc)
    if fmt == "json":
        sys.stdout.write(json.dumps(info, ensure_ascii=False, default=str, indent=2) + "\n")
        return
    console.print(f"[bold]database[/] {info['database']} ({_size(info['database_bytes'])})")
    console.print(f"articles {info['articles']} ({info['primary_articles']} primary), metrics {info['metrics']}, "
                  f"pages {info['pages']}, pending ETL {info['pages_pending']}, failed {info['pages_failed']}")
    if service:
        colour = {"running": "green", "stopped": "yellow"}.get(service["state"], "red")
        console.print(f"[bold]service[/] [{colour}]{service['state']}[/] on {service['host']} (pid {service['pid']}), "
                      f"started {_cell(service['started_at'])}, last seen {_cell(service['last_seen'])}",
                      highlight=False)
    else:
        console.print("[bold]service[/] never started on this database (aidnews serve)")
    if info.get("config_error"):
        err.print(f"[red]sources file:[/] {info['config_error']}")
    if info.get("next_runs"):
        title = "next runs" if service and service["state"] == "running" else f"next runs if started with {path}"
        emit(info["next_runs"], "table", ["job", "next_run"], title=title)
    emit(info["recent_runs"], "table", ["id", "kind", "source", "status", "started_at", "finished_at", "error"],
         title="recent runs")
    emit(info["sources"], "table", ["source", "pages", "articles", "failed", "garbled_share", "last_success",
                                    "new_pages_last_runs", "usual_new_pages", "warnings"], title="sources")


def _size(n: int | None) -> str:
    if n is None:
        return "size unknown"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n:.1f} TB"


@app.command()
def extract(
    path: Annotated[Path, typer.Argument(help="an HTML file, or a directory: every *.html under it")],
    url: Annotated[str | None, typer.Option(help="the page's URL (resolves links, dates in URLs)")] = None,
) -> None:
    """Extract article fields and metrics from saved HTML, offline: one JSON object per file, per line.

    Example: aidnews extract saved/page.html --url https://example.gov.cn/2023-06/12/c_1.htm
    """
    from etl.extract import as_record
    from etl.extract import extract as run_extract

    if not path.exists():
        raise fail(f"{path}: no such file or directory")
    files = sorted(p for p in path.rglob("*.html") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        try:
            record = as_record(run_extract(file.read_bytes(), url=url), file=str(file))
        except Exception as exc:  # one bad file is reported in its own record; the next file goes on
            record = {"file": str(file), "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()


@app.command("check-sources")
def check_sources(sources: SourcesOpt = None) -> None:
    """Validate the sources file and list its sources with their schedules.

    Example: aidnews check-sources --sources sources.toml
    """
    config = read_sources(sources)
    rows = [{"name": s.name, "enabled": s.enabled, "schedule": s.schedule, "start": " ".join(s.start_urls),
             "feeds": len(s.feeds), "sitemaps": len(s.sitemaps)} for s in config.sources]
    emit(rows, "table", ["name", "enabled", "schedule", "start", "feeds", "sitemaps"],
         title=f"{sources_path(sources)}: {len(rows)} sources, all valid")


if __name__ == "__main__":
    app()
