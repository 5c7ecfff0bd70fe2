"""What every `aidnews` command shares: the consoles, common options, errors, the database and table output.

Messages go through `rich`, which reads square brackets as styling; anything that comes from data or
from an error (a path, a title, `[settings]` in a config error) is escaped before it is printed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from etl.sources import ConfigError, SourcesFile, load_sources

console = Console()
err = Console(stderr=True)

SourcesOpt = Annotated[
    Path | None, typer.Option("--sources", help="sources file [default: $AIDNEWS_SOURCES or ./sources.toml]")
]
DemoOpt = Annotated[bool, typer.Option("--demo", help="start the bundled demo portal on 127.0.0.1 and use it")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json")]

_LOCAL_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?\+08:00$")
_WIDE_COLUMNS = ("title", "sentence", "warnings", "error")
_SHOWN_COUNTS = ("pages_stored", "fetched_list", "fetched_article", "articles_known_skipped", "not_modified",
                 "revisit_requests", "revisit_changed", "errors", "pages", "articles", "metrics", "skipped",
                 "duplicates", "requeued", "pages_pruned", "runs_pruned", "metrics_added", "metrics_removed",
                 "metric_values_changed", "metric_units_changed", "metric_categories_changed", "metric_kinds_changed")


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error (every line of it) and return the Exit to raise."""
    first, *more = message.splitlines() or [""]
    err.print(f"[bold red]error:[/] {escape(first)}", highlight=False, soft_wrap=True)
    for line in more:
        err.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def config_failure(exc: ConfigError) -> typer.Exit:
    """Print every problem of a sources file and return the Exit (code 2) to raise."""
    count = len(exc.problems)
    return fail(f"{count} problems in the sources:\n{exc}" if count > 1 else str(exc))


def sources_path(path: Path | None) -> Path:
    return path or Path(os.environ.get("AIDNEWS_SOURCES", "sources.toml"))


def read_sources(path: Path | None) -> SourcesFile:
    try:
        return load_sources(sources_path(path))
    except ConfigError as exc:
        raise config_failure(exc) from None


@contextmanager
def chosen_sources(demo: bool, path: Path | None) -> Iterator[SourcesFile]:
    """The sources file's sources, or with `demo` the demo portal's (served for the duration of the block)."""
    from crawler.demo.launch import sources_for

    with ExitStack() as stack:
        try:
            config = stack.enter_context(sources_for(demo, sources_path(path),
                                                     on_portal=lambda url: err.print(f"demo portal on {escape(url)}")))
        except ConfigError as exc:
            raise config_failure(exc) from None
        except OSError as exc:
            raise fail(str(exc)) from None
        yield config


def prepare_db() -> None:
    """Bring the database to the newest schema, or stop with a readable error."""
    from etl.store import engine

    try:
        engine.upgrade()
    except Exception as exc:  # a dead server or a bad URL: say which, without a traceback
        raise fail(f"cannot open the database {engine.describe(engine.database_url())}: {exc}") from None


def emit(rows: list[dict[str, Any]], fmt: str, columns: list[str], title: str | None = None) -> None:
    """Rows as a table on the terminal, or as JSON lines on stdout."""
    if fmt == "json":
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=json_value) + "\n")
        return
    if fmt != "table":
        raise fail(f"unknown format {fmt!r}: use table or json")
    table = Table(title=escape(title) if title else None, show_lines=False, expand=False)
    for column in columns:
        table.add_column(column, overflow="fold", ratio=3 if column in _WIDE_COLUMNS else None,
                         no_wrap=column in ("id", "article_id"))
    for row in rows:
        table.add_row(*(escape(cell(row.get(c))) for c in columns))
    console.print(table)
    if not rows:
        err.print("nothing stored yet: run [bold]aidnews run-once --demo[/] or [bold]aidnews crawl[/] first")


def json_value(value: Any) -> Any:
    """Exact decimals as JSON numbers (230000000, not "230000000" nor 229999999.99999997); the rest as text."""
    from etl.metrics import json_number

    return json_number(value) if isinstance(value, Decimal) else str(value)


def cell(value: Any) -> str:
    """One value as a table shows it."""
    if value is None:
        return ""
    if isinstance(value, str) and (match := _LOCAL_TIME.match(value)):
        return f"{match.group(1)} {match.group(2)}"  # Beijing time, as every time in the tables (seconds if given)
    if isinstance(value, Decimal):
        return f"{value:,}"  # as many decimals as the figure was written with: 465,000,000 and 0.8
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def report_run(run: Any) -> None:
    """One line on how a run ended, with its counts, and the last line of its error."""
    counts = run.counts or {}
    shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()
                      if k in _SHOWN_COUNTS or k.startswith("error: "))
    colour = "green" if run.status == "ok" else "red"
    err.print(f"{run.kind} run {run.id}: [{colour}]{run.status}[/] {escape(shown)}", highlight=False)
    if run.error:
        err.print(f"  {escape(run.error.strip().splitlines()[-1][:500])}")
