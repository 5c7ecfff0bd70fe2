"""`aidnews browse`: the SQLite database in Datasette, read-only, on 127.0.0.1.

Datasette gives people who do not write SQL a way to page, facet, search and export the data, and gives those who
do a SQL editor that cannot change anything. We hand it metadata built from the database as it is (so a table or
view that a migration added or has not added yet is described or left out, never assumed), and run it as a child
process whose lifetime is bound to ours.

Read-only comes from SQLite itself: a live database is opened `mode=ro` (the service may keep writing; every page
shows the data as of its query), a copy no process writes can be opened `immutable=1` (needed on read-only media,
where SQLite cannot create the WAL index a `mode=ro` reader of a WAL database uses). A `mode=ro` reader of a
WAL database that no process had open creates its -wal and -shm files, and cannot remove them when it closes (only a
connection that may checkpoint does): so when browse stops, files that were not beside the database when it started
are removed the way SQLite itself removes them, by closing the last connection (`tidy_wal`), and never while
another process holds the database.

Datasette reads only SQLite. For PostgreSQL we refuse with a pointer to psql as the read-only role
aidnews_reader (migration 0010) and to `aidnews export`, rather than copying a production database into a file
behind the user's back.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

DEFAULT_PORT = 8001
HOST = "127.0.0.1"
FTS_TABLE = "article_fts"

TITLE = "aidnews — 对口支援新闻数据"
DESCRIPTION = (
    "Articles on Chinese aid work (援疆, 援藏, 援青, 东西部协作, 定点帮扶) and the figures they state, "
    "as crawled and extracted by aidnews. Read-only. Times are UTC; the v_ views add Beijing dates. "
    "Never add values of different units."
)

TABLES: dict[str, str] = {
    "article": "One cleaned article per canonical URL; syndicated copies point at their original in duplicate_of.",
    "metric": "One quantity stated in an article body, in its base unit, with the words and sentence it came from.",
    "page": "Every fetched URL version, raw (zlib-compressed bytes) with its headers and ETL state.",
    "run": "Every crawl, ETL and maintenance run: status, counts and the first errors.",
    "source": "The configured sites, as mirrored from sources.toml at each crawl.",
    "service": "Running and stopped schedulers: host, pid, heartbeat and next runs.",
    "v_articles": "Primary articles (copies left out) with provider, recipient, program, Beijing date and counts.",
    "v_metrics": "Every figure with its article's title, URL, date, program, provider, recipient and source.",
    "v_funding_totals": "Aid funding in yuan per provider, recipient and Beijing year, over primary articles.",
    FTS_TABLE: "Full-text index of article titles and bodies (Simplified characters).",
}

_PLACE = {
    "provider_province": "helping province (援助方)",
    "provider_prefecture": "helping prefecture-level city",
    "provider_county": "helping county or district",
    "provider_inferred": "1: the provider was filled from the pairing map, not stated in the text",
    "recipient_province": "helped province or region (受援方)",
    "recipient_prefecture": "helped prefecture, city or league",
    "recipient_county": "helped county, district or banner",
    "recipient_inferred": "1: the recipient was filled from the pairing map, not stated in the text",
}
_ARTICLE = {
    "title": "headline",
    "published_at": "publication time, UTC",
    "published_date": "publication date in Beijing time",
    "published_year": "publication year in Beijing time",
    "source_name": "configured source it was crawled from",
    "news_source": "来源: the outlet the page credits",
    "author": "作者/记者/通讯员",
    "editor": "责任编辑",
    "url": "address it was fetched from",
    "canonical_url": "the article's key: its canonical address",
    "body": "cleaned body in Simplified characters",
    "body_original": "body before conversion to Simplified and repairs",
    "program": "aid program: 援疆 援藏 援青 东西部协作 定点帮扶 对口支援",
    "batch": "第N批: the batch of cadres, where stated",
    "duplicate_of": "id of the article this is a syndicated copy of; empty for a primary article",
    "garbled_found": "characters found garbled (mojibake, replacement characters)",
    "garbled_repaired": "garbled characters repaired",
    "script": "script of the original: Hans, Hant or mixed",
    "metrics": "figures read from its body",
    "copies": "syndicated copies of it stored",
    **_PLACE,
}
_METRIC = {
    "article_id": "the article it was read from",
    "text": "the mention as written, e.g. 420余万元",
    "value": "the number in the base unit (yuan for CNY)",
    "value_max": "upper end of a stated range, else empty",
    "unit": "base unit: CNY, person, person_time, household, count, m2, mu, km, kg, percent, year, …",
    "classifier": "the measure word or unit as written",
    "qualifier": "exact; over (余 多 以上); about (约 近 左右)",
    "category": "funding, investment, output, income, projects, personnel, jobs, training, …",
    "subject": "what it counts, where a noun phrase is near",
    "sentence": "the sentence it stands in",
}
_FUNDING = {
    "year": "publication year in Beijing time",
    "total_cny": "sum of the funding figures, in yuan, as stated",
    "mentions": "figures added",
    "articles": "articles they come from",
    "approximate_mentions": "figures stated as 余/约/以上 or as a range (the stated number or lower end was added)",
}
_PAGE = {
    "url": "requested address",
    "final_url": "address after redirects",
    "kind": "article, list, sitemap or feed",
    "status": "HTTP status",
    "body": "raw response, zlib-compressed",
    "detected_encoding": "encoding the page was decoded with",
    "etl_status": "pending, done, skipped or error",
    "etl_error": "why the ETL failed on it",
}
_RUN = {
    "kind": "crawl, etl or maintenance",
    "status": "running, ok, failed, timeout or interrupted",
    "counts": "what the run did, as JSON",
    "errors": "its first failures, each with URL and reason",
    "error": "why the run itself failed",
}
COLUMNS: dict[str, dict[str, str]] = {
    "article": _ARTICLE,
    "v_articles": _ARTICLE,
    "metric": _METRIC,
    "v_metrics": {**_METRIC, **_ARTICLE, "id": "metric id"},
    "v_funding_totals": {**_PLACE, **_FUNDING},
    "page": _PAGE,
    "run": _RUN,
}


@dataclass(frozen=True)
class CannedQuery:
    name: str
    view: str  # offered only when this view exists
    title: str
    sql: str


CANNED = (
    CannedQuery(
        "funding_totals",
        "v_funding_totals",
        "Aid funding per provider, recipient and year (yuan)",
        "SELECT * FROM v_funding_totals ORDER BY total_cny DESC",
    ),
    CannedQuery(
        "articles",
        "v_articles",
        "Primary articles, newest first",
        "SELECT * FROM v_articles ORDER BY published_at DESC",
    ),
    CannedQuery(
        "metrics",
        "v_metrics",
        "Figures of primary articles with their article",
        "SELECT * FROM v_metrics WHERE duplicate_of IS NULL ORDER BY published_at DESC, article_id, id",
    ),
    CannedQuery(
        "funding_evidence",
        "v_metrics",
        "The funding figures behind a recipient's total",
        "SELECT published_date, title, text, value, qualifier, sentence, provider_province, "
        "recipient_prefecture, recipient_county, url FROM v_metrics "
        "WHERE category = 'funding' AND unit = 'CNY' AND duplicate_of IS NULL "
        "AND (recipient_province LIKE '%' || :recipient || '%' "
        "OR recipient_prefecture LIKE '%' || :recipient || '%' "
        "OR recipient_county LIKE '%' || :recipient || '%') "
        "ORDER BY published_date DESC",
    ),
)


class BrowseError(Exception):
    """An expected failure, told to the user in one line."""


def sqlite_path(url: str) -> Path:
    """The database file behind a URL; PostgreSQL and missing files are refused with what to do instead."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BrowseError(
            f"aidnews browse serves SQLite only (Datasette reads nothing else), and DATABASE_URL is "
            f"{parsed.get_backend_name()}: query it with psql as the read-only role aidnews_reader (docs/querying.md)"
            " or `aidnews export`"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise BrowseError("aidnews browse needs a SQLite database file, not an in-memory database")
    path = Path(parsed.database).resolve()
    if not path.is_file():
        raise BrowseError(f"no aidnews database at {path}; run `aidnews db upgrade` or the service first")
    return path


def needs_immutable(path: Path) -> bool:
    """A `mode=ro` reader of a WAL database must create its index file beside it; where it cannot, read it frozen."""
    return not os.access(path.parent, os.W_OK)


WAL_FILES = ("-wal", "-shm")


def wal_files(path: Path) -> frozenset[str]:
    """The WAL companions present beside the database (by suffix)."""
    return frozenset(s for s in WAL_FILES if path.with_name(path.name + s).exists())


def tidy_wal(path: Path, present_before: frozenset[str]) -> None:
    """Remove the -wal and -shm files our readers created, by opening and closing a connection that may
    checkpoint: SQLite then deletes them when it is the last connection, and leaves them to any process that
    still holds the database (they are its files then). The checkpoint writes nothing: readers add no frames."""
    if wal_files(path) <= present_before:
        return
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=5)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        return  # the database cannot be opened for writing (a read-only file): nothing of ours can be undone


def _connect(path: Path, immutable: bool) -> sqlite3.Connection:
    flag = "immutable=1" if immutable else "mode=ro"
    return sqlite3.connect(f"{path.as_uri()}?{flag}", uri=True)


def build_metadata(path: Path, immutable: bool = False) -> dict[str, Any]:
    """Datasette metadata for this database: descriptions of what exists, the views as canned queries, FTS."""
    with closing(_connect(path, immutable)) as conn:
        objects = dict(conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"))
        columns = {name: [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')] for name in objects}
    tables: dict[str, Any] = {}
    for name in objects:
        entry: dict[str, Any] = {}
        if name in TABLES:
            entry["description"] = TABLES[name]
        described = {c: COLUMNS[name][c] for c in columns[name] if c in COLUMNS.get(name, {})}
        if described:
            entry["columns"] = described
        if name in ("article", "v_articles", "v_metrics"):
            entry["label_column"] = "title"
        if name == "alembic_version":
            entry["hidden"] = True
        tables[name] = entry
    if objects.get(FTS_TABLE) == "table":  # FTS tables are virtual tables, listed with type 'table'
        # Datasette matches `<pk> in (select rowid from article_fts …)`: the index's rowid is the article id.
        tables.setdefault("article", {}).update(fts_table=FTS_TABLE, fts_pk="id")
        if "v_articles" in objects:
            tables["v_articles"].update(fts_table=FTS_TABLE, fts_pk="id")
    queries = {q.name: {"title": q.title, "sql": q.sql} for q in CANNED if q.view in objects}
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "databases": {path.stem: {"description": DESCRIPTION, "tables": tables, "queries": queries}},
    }


def port_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server will: a port whose last connections linger in TIME_WAIT (a browse just stopped) is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def datasette_command(path: Path, metadata_file: Path, port: int, immutable: bool) -> list[str]:
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        *(["--immutable", str(path)] if immutable else [str(path)]),
        "--host",
        HOST,
        "--port",
        str(port),
        "--metadata",
        str(metadata_file),
        "--setting",
        "truncate_cells_html",
        "300",  # an article body is a cell: show its start, link the rest
        "--setting",
        "sql_time_limit_ms",
        "5000",
    ]


def _die_with_parent() -> None:
    """In the child: receive SIGTERM when the parent dies, however it dies (Linux; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


@contextmanager
def datasette(url: str, port: int = DEFAULT_PORT, immutable: bool | None = None) -> Iterator[subprocess.Popen]:
    """Datasette serving the database, stopped (and its metadata file removed) when the block ends."""
    path = sqlite_path(url)
    if immutable is None:
        immutable = needs_immutable(path)
    if not port_free(port):
        raise BrowseError(f"port {port} on {HOST} is busy: choose another with --port")
    present = wal_files(path)
    try:
        metadata = build_metadata(path, immutable)
    except sqlite3.Error as exc:
        raise BrowseError(
            f"cannot read {path}: {exc}" + ("" if immutable else " (on read-only media or a copy, try --immutable)")
        ) from None
    finally:
        tidy_wal(path, present)
    with tempfile.TemporaryDirectory(prefix="aidnews-browse-") as tmp:
        metadata_file = Path(tmp) / "metadata.json"
        metadata_file.write_text(json.dumps(metadata, ensure_ascii=False, indent=1), encoding="utf-8")
        proc = subprocess.Popen(datasette_command(path, metadata_file, port, immutable), preexec_fn=_die_with_parent)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            tidy_wal(path, present)


def serve(
    url: str, port: int = DEFAULT_PORT, immutable: bool | None = None, announce: Callable[[str], None] = print
) -> int:
    """Serve until Ctrl-C or SIGTERM; the exit status is Datasette's (0 after a requested stop)."""

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with datasette(url, port, immutable) as proc:
            announce(f"Datasette on http://{HOST}:{port}/{sqlite_path(url).stem} (read-only; Ctrl-C stops it)")
            try:
                return proc.wait()
            except KeyboardInterrupt:
                return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
