"""`aidnews status`: what the service has done and will do, and how every source is faring.

It reads the database read-only (etl.query.status) and the sources file, so it works while the service runs and
when nothing has run yet; the schedule it shows comes from the running service, else from the plan the service
would follow if started now with the sources file (scheduler.plan).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.text import Text

from aidnews import render
from aidnews.common import FormatOpt, SourcesOpt, WideOpt, cell, console, emit, err, fail, read_db, sources_path
from etl.sources import ConfigError, load_sources


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
    from etl import health
    from etl.staleness import Staleness, describe

    size = _size(info["database_bytes"])
    console.print(Text("database ", style="bold") + render.plain(f"{info['database']} ({size})"), highlight=False)
    console.print(
        f"articles {info['articles']:,} ({info['primary_articles']:,} primary), figures "
        f"{info['metrics']:,}, pages {info['pages']:,} (pending ETL {info['pages_pending']:,}, "
        f"failed {info['pages_failed']:,})",
        highlight=False,
    )
    for line in describe(Staleness(**info["extraction"])):  # articles an older extractor built, money unclassified
        console.print(Text("extraction ", style="bold yellow") + render.plain(line), highlight=False)
    service = info.get("service")
    if service:
        colour = {"running": "green", "stopped": "yellow"}.get(service["state"], "red")
        console.print(
            Text("service ", style="bold")
            + Text(service["state"], style=colour)
            + render.plain(
                f" on {service['host']} (pid {service['pid']}), started "
                f"{cell(service['started_at'])}, last seen {cell(service['last_seen'])}"
            ),
            highlight=False,
        )
    else:
        console.print("[bold]service[/] never started on this database (aidnews serve)")
    for line in (info.get("config_error") or "").splitlines():
        err.print(Text("sources file: ", style="red") + render.plain(line), highlight=False)
    if info.get("next_runs"):
        service_running = service and service["state"] == "running"
        emit(
            info["next_runs"],
            "table",
            ["job", "next_run"],
            title="next runs" if service_running else f"next runs if started with {path}",
            wide=wide,
        )
    runs = [
        dict(r, source=_run_sources(r["source"]), error=(r["error"] or "").strip().split("\n")[0])
        for r in info["recent_runs"]
    ]
    emit(
        runs,
        "table",
        ["id", "kind", "source", "status", "started_at", "finished_at", "error"],
        title="recent runs",
        wide=wide,
        ranks={"source": 4},
    )
    emit(
        info["sources"],
        "table",
        [
            "source",
            "pages",
            "articles",
            "failed",
            "garbled_share",
            "last_crawl",
            "last_success",
            "last_error",
            "new_pages_last_runs",
            "list_pages_last_runs",
            "usual_new_pages",
        ],
        title="sources",
        wide=wide,
        ranks={"source": 0},
    )
    emit(
        [dict(t, size=_size(t["bytes"]) if t["bytes"] is not None else "") for t in info["tables"]],
        "table",
        ["table", "rows", "size"],
        title="tables",
        wide=wide,
    )
    never = [row["source"] for row in info["sources"] if health.NEVER_CRAWLED in row["warnings"]]
    if never:
        console.print(
            Text("warning ", style="yellow")
            + render.plain(
                f"{health.NEVER_CRAWLED}: {', '.join(never)}" + (f" ({len(never)} sources)" if len(never) > 1 else "")
            ),
            highlight=False,
        )
    for row in info["sources"]:
        for warning in row["warnings"]:
            if warning != health.NEVER_CRAWLED:
                console.print(
                    Text("warning ", style="yellow") + render.plain(f"{row['source']}: {warning}"), highlight=False
                )


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
