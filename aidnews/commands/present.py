"""Commands that present the stored data to people: `browse` (Datasette, read-only) and `report` (one HTML file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aidnews.common import PORT_MAX, PORT_MIN, err, fail


def browse(
    port: Annotated[int, typer.Option(min=PORT_MIN, max=PORT_MAX, help="port on 127.0.0.1")] = 8001,
    immutable: Annotated[bool | None, typer.Option(
        "--immutable/--live",
        help="--immutable for a copy no process writes (needed on read-only media); --live while the service "
             "writes (default: --live, or --immutable where the folder cannot be written)")] = None,
) -> None:
    """Browse the SQLite database (DATABASE_URL) read-only in Datasette on 127.0.0.1, the SQL views as queries.

    PostgreSQL is refused (Datasette reads only SQLite): use psql (docs/querying.md) or aidnews export.

    Example: aidnews browse --port 8001   then open http://127.0.0.1:8001/
    """
    from etl import browse as browsing
    from etl.store.engine import database_url

    try:
        code = browsing.serve(database_url(), port=port, immutable=immutable, announce=err.print)
    except browsing.BrowseError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code)


def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write")] = Path("report.html"),
) -> None:
    """Write a self-contained HTML report with charts: funding, monthly series, categories, sources, data quality.

    Reads DATABASE_URL read-only.

    Example: aidnews report --out report.html   (one file, no network needed to open it)
    """
    from etl import report as reporting
    from etl.store.engine import database_url

    try:
        summary = reporting.write_report(database_url(), out)
    except reporting.ReportError as exc:
        raise fail(str(exc)) from None
    err.print(f"report of {summary.articles} articles and {summary.metrics} figures written to {out}")
