"""Commands that read what is stored: `articles`, `metrics`, `export` and `status`.

They print tables for people and JSON lines (`--format json`) or files (`export`) for programs; the
queries themselves are in etl.query.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from aidnews import render
from aidnews.common import (
    ID_MAX,
    ROWS_MAX,
    FormatOpt,
    SourcesOpt,
    WideOpt,
    cell,
    console,
    emit,
    err,
    fail,
    read_db,
    sources_path,
)
from etl.sources import ConfigError, load_sources

EXPORT_FORMATS = (".csv", ".jsonl")
EVERYTHING = 10**9  # row limit of an export: all of them
EVIDENCE_MAX = 100  # sentences per total in --evidence: more is a report, not a table


def articles(
    limit: Annotated[int, typer.Option(min=1, max=ROWS_MAX, help="rows to show")] = 50,
    program: Annotated[str | None, typer.Option(help="援疆, 援藏, 援青, 东西部协作, 定点帮扶 or 对口支援")] = None,
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    search: Annotated[str | None, typer.Option(help="text in the title or body")] = None,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
) -> None:
    """List stored articles, newest first.

    Reads DATABASE_URL read-only. The table fits the terminal (--wide: every column in full; --format json: all).

    Example: aidnews articles --program 援疆 --format json
    """
    from etl import query
    from etl.store.engine import session_scope

    db = read_db()
    with session_scope(db) as session:
        rows = query.articles(session, limit=limit, program=program, source=source, search=search)
        total = query.count_articles(session, program=program, source=source, search=search)
    columns = ["id", "published_at", "title", "program", "recipient", "metrics", "source"]
    emit(rows, fmt, columns if fmt == "table" else list(rows[0]) if rows else columns, title="articles",
         total=total, wide=wide)


def metrics(
    category: Annotated[str | None, typer.Option(
        help="funding, investment, personnel, jobs, … (--group-by category lists the stored ones)")] = None,
    unit: Annotated[str | None, typer.Option(help="CNY, person, count, m2, …")] = None,
    program: Annotated[str | None, typer.Option(help="only articles of this aid program")] = None,
    group_by: Annotated[str | None, typer.Option(help="provider, recipient, program, category, year or source")] = None,
    evidence: Annotated[int, typer.Option(min=0, max=EVIDENCE_MAX,
                                          help="with --group-by: show up to N sentences behind each total")] = 0,
    article: Annotated[int | None, typer.Option(min=1, max=ID_MAX, help="only the metrics of this article id")] = None,
    limit: Annotated[int, typer.Option(min=1, max=ROWS_MAX, help="rows to show")] = 100,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
) -> None:
    """List the figures articles state, or total them per group and unit (CNY is never added to persons).

    Reads DATABASE_URL read-only. The table fits the terminal (--wide: every column in full; --format json: all).

    Example: aidnews metrics --group-by recipient --category funding
    """
    from etl import query
    from etl.store.engine import session_scope

    db = read_db()
    with session_scope(db) as session:
        if group_by:
            try:
                rows = query.grouped_metrics(session, group_by, category=category, unit=unit, program=program,
                                             with_evidence=evidence)
            except ValueError as exc:
                raise fail(str(exc)) from None
            emit(rows, fmt, [group_by, "unit", "total", "mentions", "articles"], title=f"metrics by {group_by}",
                 wide=wide)
            if evidence and fmt == "table":
                for row in rows:
                    for item in row.get("evidence", []):
                        console.print(render.plain(f"{row[group_by]} {row['unit']}", style="bold")
                                      + render.plain(f"  article {item['article_id']}: {item['text']}"),
                                      highlight=False)
                        console.print(Padding(render.plain(item["sentence"] or ""), (0, 0, 0, 4)), highlight=False)
            return
        rows = query.metrics(session, limit=limit, category=category, unit=unit, program=program,
                             article_id=article)
        total = query.count_metrics(session, category=category, unit=unit, program=program, article_id=article)
    emit(rows, fmt, ["article_id", "text", "value", "unit", "qualifier", "category", "subject", "title"],
         title="metrics", total=total, wide=wide, ranks={"title": 7})


def export(
    what: Annotated[str, typer.Argument(help="articles or metrics")],
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write; .csv or .jsonl")],
    primary_only: Annotated[bool, typer.Option(help="leave out syndicated copies")] = False,
) -> None:
    """Export every article or metric to CSV (opens in a spreadsheet) or JSON Lines, from DATABASE_URL.

    A CSV cell of crawled text that a spreadsheet would run as a formula (= + - @) starts with a ' instead.

    Example: aidnews export metrics -o metrics.csv --primary-only
    """
    import csv

    from etl import query, spreadsheet
    from etl.store.engine import session_scope

    if what not in ("articles", "metrics"):
        raise fail(f"cannot export {what!r}: choose articles or metrics")
    if output.suffix not in EXPORT_FORMATS:
        raise fail(f"{output}: the file name must end in .csv or .jsonl")
    db = read_db()
    with session_scope(db) as session:
        if what == "articles":
            rows = query.articles(session, limit=EVERYTHING, include_duplicates=not primary_only)
        else:
            rows = [r for r in query.metrics(session, limit=EVERYTHING) if not (primary_only and r["duplicate"])]
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8-sig" if output.suffix == ".csv" else "utf-8", newline="") as fh:
        if output.suffix == ".jsonl":
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        elif rows:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: spreadsheet.cell(" ".join(map(str, v)) if isinstance(v, list) else v)
                              for k, v in row.items()} for row in rows)
    err.print(f"{len(rows)} {what} written to {escape(str(output))}")


def status(fmt: FormatOpt = "table", sources: SourcesOpt = None, wide: WideOpt = False) -> None:
    """What the service has done and will do: next runs, last runs, pending pages, and every source's health.

    Every source of the sources file and of the database is listed with its last crawl, success and error.

    Reads DATABASE_URL read-only.

    Example: aidnews status --format json
    """
    import scheduler
    from etl import clock, query
    from etl.sources import SourcesFile
    from etl.store import engine

    path = sources_path(sources)
    config: SourcesFile | None = None
    config_error = None
    if path.exists():
        try:
            config = load_sources(path)
            clock.use(config.settings.timezone)
        except ConfigError as exc:
            config_error = str(exc)
    db = read_db()
    with engine.session_scope(db) as session:
        info = query.status(session, [s.name for s in config.enabled()] if config else ())
    info["database"] = engine.describe(engine.database_url())
    info["database_bytes"] = engine.size_bytes(db)
    service = info.get("service")
    if service and service["state"] == "running":
        info["next_runs"] = service["jobs"]
    elif config is not None:  # no service running: when its jobs would run if started now with this file
        info["next_runs"] = scheduler.next_runs(scheduler.plan(config))
    elif config_error is not None:
        info["next_runs"] = []
        info["config_error"] = config_error
    if fmt == "json":
        sys.stdout.write(render.json_line(info, indent=2) + "\n")
        return
    if fmt != "table":
        raise fail(f"unknown format {fmt!r}: use table or json")
    _show_status(info, path, wide)


def _show_status(info: dict[str, Any], path: Path, wide: bool) -> None:
    from etl import query
    size = _size(info["database_bytes"])
    console.print(Text("database ", style="bold") + render.plain(f"{info['database']} ({size})"), highlight=False)
    console.print(f"articles {info['articles']:,} ({info['primary_articles']:,} primary), figures "
                  f"{info['metrics']:,}, pages {info['pages']:,} (pending ETL {info['pages_pending']:,}, "
                  f"failed {info['pages_failed']:,})", highlight=False)
    service = info.get("service")
    if service:
        colour = {"running": "green", "stopped": "yellow"}.get(service["state"], "red")
        console.print(Text("service ", style="bold") + Text(service["state"], style=colour)
                      + render.plain(f" on {service['host']} (pid {service['pid']}), started "
                                     f"{cell(service['started_at'])}, last seen {cell(service['last_seen'])}"),
                      highlight=False)
    else:
        console.print("[bold]service[/] never started on this database (aidnews serve)")
    for line in (info.get("config_error") or "").splitlines():
        err.print(Text("sources file: ", style="red") + render.plain(line), highlight=False)
    if info.get("next_runs"):
        service_running = service and service["state"] == "running"
        emit(info["next_runs"], "table", ["job", "next_run"],
             title="next runs" if service_running else f"next runs if started with {path}", wide=wide)
    runs = [dict(r, source=_run_sources(r["source"]), error=(r["error"] or "").strip().split("\n")[0])
            for r in info["recent_runs"]]
    emit(runs, "table", ["id", "kind", "source", "status", "started_at", "finished_at", "error"],
         title="recent runs", wide=wide, ranks={"source": 4})
    emit(info["sources"], "table", ["source", "pages", "articles", "failed", "garbled_share", "last_crawl",
                                    "last_success", "last_error", "new_pages_last_runs", "usual_new_pages"],
         title="sources", wide=wide, ranks={"source": 0})
    never = [row["source"] for row in info["sources"] if query.NEVER_CRAWLED in row["warnings"]]
    if never:
        console.print(Text("warning ", style="yellow") + render.plain(
            f"{query.NEVER_CRAWLED}: {', '.join(never)}" + (f" ({len(never)} sources)" if len(never) > 1 else "")),
            highlight=False)
    for row in info["sources"]:
        for warning in row["warnings"]:
            if warning != query.NEVER_CRAWLED:
                console.print(Text("warning ", style="yellow") + render.plain(f"{row['source']}: {warning}"),
                              highlight=False)


def _run_sources(label: str | None) -> str:
    """A crawl's sources in a cell: the first and how many more (`status --format json` lists them all)."""
    names = (label or "").split(",") if label else []
    return names[0] + (f" +{len(names) - 1}" if len(names) > 1 else "") if names else ""


def _size(n: float | None) -> str:
    if n is None:
        return "size unknown"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
