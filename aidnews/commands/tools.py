"""Commands that need no service: `extract` (saved HTML to JSON), `check-sources`, and `db upgrade|current`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from aidnews.common import SourcesOpt, WideOpt, console, emit, fail, prepare_db, read_sources, reason, sources_path


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


def check_sources(sources: SourcesOpt = None, wide: WideOpt = False) -> None:
    """Validate the sources file (every problem at once, exit 2) and list its sources with their schedules.

    Example: aidnews check-sources --sources sources.toml
    """
    config = read_sources(sources)
    rows = [{"name": s.name, "enabled": s.enabled, "schedule": s.schedule, "start": " ".join(s.start_urls),
             "feeds": len(s.feeds), "sitemaps": len(s.sitemaps)} for s in config.sources]
    emit(rows, "table", ["name", "enabled", "schedule", "start", "feeds", "sitemaps"],
         title=f"{sources_path(sources)}: {len(rows)} sources, all valid", wide=wide)


def db_upgrade() -> None:
    """Apply every pending migration (the service also does this at start).

    Example: aidnews db upgrade   (with DATABASE_URL=postgresql+psycopg://aid@localhost/aidnews for PostgreSQL)
    """
    from etl.store import engine

    prepare_db()
    console.print(f"{escape(engine.describe(engine.database_url()))} is at revision {engine.current_revision()}")


def db_current() -> None:
    """Show the schema revision of the database and the newest one this version knows.

    Reads DATABASE_URL read-only.

    Example: aidnews db current
    """
    from etl.store import engine

    try:
        current = engine.current_revision(bind=engine.reader())
    except engine.NoDatabase as exc:
        raise fail(str(exc)) from None
    except Exception as exc:
        raise fail(f"cannot open the database {engine.describe(engine.database_url())}: {reason(exc)}") from None
    console.print(f"database: {engine.describe(engine.database_url())}\ncurrent:  {current}\n"
                  f"newest:   {engine.head_revision()}", markup=False)
