"""What every `aidnews` command shares: the consoles, common options, errors, the database and table output.

Messages go through `rich`, which reads square brackets as styling; anything that comes from data or from an
error (a path, a title, `[settings]` in a config error) is printed as plain `Text` or escaped, with its control
characters made visible (aidnews.render), so neither markup nor escape sequences in crawled text take effect.
An expected failure is one or two lines on stderr and an exit code; `aidnews -v` adds the traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from aidnews import render
from etl.sources import ConfigError, SourcesFile, load_sources

if TYPE_CHECKING:
    import sqlalchemy as sa

console = Console()
err = Console(stderr=True)
# Bounds of numeric options: past them a value is a usage error (exit 2), never an overflow deep in SQL.
ROWS_MAX = 10**9  # rows a listing may ask for (`aidnews export` writes all of them anyway)
ID_MAX = 2**63 - 1  # the largest id a database integer holds
PORT_MIN, PORT_MAX = 1, 65535
SHORT_ERROR_LINES = 8  # a run's error up to this many lines is shown whole after the run's line
verbose = False  # set by the global -v/--verbose option: failures show their traceback

SourcesOpt = Annotated[
    Path | None,
    typer.Option(
        "--sources", metavar="FILE", help="the sources file (TOML) \\[default: $AIDNEWS_SOURCES, else ./sources.toml]"
    ),
]
DemoOpt = Annotated[bool, typer.Option("--demo", help="start the bundled demo portal on 127.0.0.1 and use it")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json")]
WideOpt = Annotated[
    bool,
    typer.Option(
        "--wide",
        "-w",
        help="every column with its text in full (one block per row where the terminal is too narrow for them)",
    ),
]
_SHOWN_COUNTS = (
    "pages_stored",
    "fetched_list",
    "fetched_article",
    "articles_known_skipped",
    "not_modified",
    "revisit_requests",
    "revisit_changed",
    "errors",
    "pages",
    "articles",
    "metrics",
    "skipped",
    "duplicates",
    "requeued",
    "stale_requeued",
    "pages_pruned",
    "runs_pruned",
    "metrics_added",
    "metrics_removed",
    "metric_values_changed",
    "metric_units_changed",
    "metric_categories_changed",
    "metric_kinds_changed",
    "titles_changed",
    "bodies_changed",
    "body_chars_changed",
)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error (every line of it) and return the Exit to raise; with -v, the traceback being handled too."""
    if verbose and sys.exc_info()[0] is not None:
        err.print(render.plain(traceback.format_exc().rstrip()), highlight=False, soft_wrap=True)
    first, *more = message.splitlines() or [""]
    err.print(Text("error: ", style="bold red") + render.plain(first), highlight=False, soft_wrap=True)
    for line in more:
        err.print(render.plain(f"  {line}"), highlight=False, soft_wrap=True)
    return typer.Exit(code)


def config_failure(exc: ConfigError) -> typer.Exit:
    """Print every problem of a sources file and return the Exit (code 2) to raise."""
    count = len(exc.problems)
    return fail(f"{count} problems in the sources:\n{exc}" if count > 1 else str(exc))


def sources_path(path: Path | None) -> Path:
    return path or Path(os.environ.get("AIDNEWS_SOURCES", "sources.toml"))


def read_sources(path: Path | None) -> SourcesFile:
    """The sources file, whole and valid (else exit 2 with every problem); its time zone becomes the shown one."""
    from etl import clock

    try:
        config = load_sources(sources_path(path))
    except ConfigError as exc:
        raise config_failure(exc) from None
    clock.use(config.settings.timezone)
    return config


@contextmanager
def chosen_sources(demo: bool, path: Path | None) -> Iterator[SourcesFile]:
    """The sources file's sources, or with `demo` the demo portal's (served for the duration of the block)."""
    from crawler.demo.launch import sources_for
    from etl import clock

    with ExitStack() as stack:
        try:
            config = stack.enter_context(
                sources_for(demo, sources_path(path), on_portal=lambda url: err.print(f"demo portal on {escape(url)}"))
            )
        except ConfigError as exc:
            raise config_failure(exc) from None
        except OSError as exc:
            raise fail(str(exc)) from None
        clock.use(config.settings.timezone)
        yield config


def reason(exc: BaseException) -> str:
    """An exception in a line: the driver's own message for a database error, without SQL or links."""
    import sqlalchemy as sa

    inner = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    return lines[0] if lines else type(inner).__name__


def prepare_db() -> None:
    """Bring the database to the newest schema (creating it), or stop with a readable error. For the jobs only:
    serve, run-once, crawl, etl and db upgrade; the commands that read use `read_db`."""
    from etl.store import engine

    try:
        engine.upgrade()
    except Exception as exc:  # a dead server or a bad URL: say which, without a traceback
        raise fail(f"cannot open the database {engine.describe(engine.database_url())}: {reason(exc)}") from None


def read_db() -> sa.Engine:
    """The database for a command that only reads: opened read-only, never created nor migrated.

    No database (no SQLite file, no aidnews schema) or one that cannot be reached is a one-line error, exit 2.
    """
    from etl.store import engine

    try:
        db = engine.reader()
        engine.require_schema(db)
    except engine.NoDatabase as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # a dead server, a bad URL, a file that is not a database
        raise fail(f"cannot open the database {engine.describe(engine.database_url())}: {reason(exc)}") from None
    return db


def emit(
    rows: list[dict[str, Any]],
    fmt: str,
    columns: list[str],
    title: str | None = None,
    total: int | None = None,
    wide: bool = False,
    ranks: dict[str, int] | None = None,
) -> None:
    """Rows as a table fitted to the terminal (aidnews.render), or as JSON lines on stdout.

    `total`, when more rows match than are shown, is said below the table ("showing 50 of 75"); `ranks`
    changes how soon a column is left out on a narrow terminal, for this table (aidnews.render.COLUMNS).
    """
    if fmt == "json":
        for row in rows:
            sys.stdout.write(render.json_line(row) + "\n")
        return
    if fmt != "table":
        raise fail(f"unknown format {fmt!r}: use table or json")
    width = console.width
    shown, layout = render.table(rows, columns, width, wide=wide, title=title, ranks=ranks)
    if layout.width > width:  # --wide on a terminal too narrow for every column: one block per row instead
        console.print(render.records(rows, columns, title), highlight=False)
        return
    console.print(shown, highlight=False)
    for note in render.notes(layout, len(rows), total, width):
        err.print(Text(note, style="dim"), highlight=False)
    if not rows:
        err.print("nothing stored yet: run [bold]aidnews run-once --demo[/] or [bold]aidnews crawl[/] first")


def cell(value: Any) -> str:
    """One value as a table shows it, control characters made visible (still to be escaped for markup)."""
    return render.inert(render.display(value))


def report_run(run: Any) -> None:
    """One line on how a run ended, with its counts (errors by reason), then its error: a short one whole."""
    counts = run.counts or {}
    shown = [
        f"{key.replace('_', ' ')} {counts[key]:,}"
        for key in _SHOWN_COUNTS
        if key != "errors" and isinstance(counts.get(key), int)
    ]
    reasons = [f"{key.removeprefix('error: ')} {value}" for key, value in counts.items() if key.startswith("error: ")]
    if counts.get("errors"):
        shown.append(f"errors {counts['errors']:,}" + (f" ({', '.join(reasons)})" if reasons else ""))
    colour = "green" if run.status == "ok" else "red"
    err.print(
        Text(f"{run.kind} run {run.id}: ") + Text(str(run.status), style=colour) + render.plain(" " + ", ".join(shown)),
        highlight=False,
    )
    if run.error:  # a short error whole (a crawl's failed sources); of a long one (a child's stderr) its last line
        lines = run.error.strip().splitlines()
        for line in lines if len(lines) <= SHORT_ERROR_LINES else lines[-1:]:
            err.print(render.plain(f"  {line[:500]}"), highlight=False)
