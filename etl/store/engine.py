"""Engine, sessions and migrations: the one place that knows which database is in use.

`DATABASE_URL` selects it (any SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db``); without it the
embedded default is SQLite at ``data/aidnews.db`` (WAL mode, 30 s busy timeout).

Two kinds of engine: `get_engine` for the jobs, which may create the SQLite file and migrate (serve, run-once,
crawl, etl, db upgrade), and `reader` for the commands that only read, which create nothing: no file, no
directory, no table. A reader opens SQLite read-only, so a copy on read-only media can be queried, and says
plainly (`NoDatabase`) when there is no aidnews database where DATABASE_URL points.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlmodel import Session

from etl.store import grams

DEFAULT_SQLITE_PATH = Path("data") / "aidnews.db"
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
RETRY_DELAYS: Sequence[float] = (1.0, 2.0, 4.0, 8.0, 16.0)  # seconds between tries after a lost connection

log = logging.getLogger("aidnews.db")
T = TypeVar("T")


FIRST_STEP = "run `aidnews db upgrade` or the service first"
SQLITE_HEADER = 100  # bytes of an SQLite file's header; bytes 18 and 19 are 2 in WAL mode
WAL_MODE = 2


class NoDatabase(Exception):
    """There is no aidnews database where DATABASE_URL points: no SQLite file, or a database without the schema."""


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            # psycopg 3 is the driver we ship; plain URLs would ask for psycopg2.
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def describe(url: str) -> str:
    """The URL without its password, for logs and `status`."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
    grams.register(dbapi_conn)  # the search index's triggers call it (etl.store.grams)


def get_engine(url: str | None = None) -> sa.Engine:
    """The engine for url, or for $DATABASE_URL as it is now (one engine per URL, shared)."""
    return _engine(url or database_url())


@lru_cache(maxsize=8)
def _engine(url: str) -> sa.Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def reset_engines() -> None:
    """Forget the shared engines (for code that changes what a URL points at, such as tests)."""
    _engine.cache_clear()


def sqlite_file(url: str) -> Path | None:
    """The absolute path of an SQLite URL's file (None for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).resolve()


def read_only_uri(path: Path) -> str:
    """The `file:` URI that opens an SQLite database without writing to it or beside it.

    `mode=ro` reads a live database: in WAL mode it goes through the writer's -wal and -shm files. When a
    WAL-mode file has no -wal beside it, no process has it open, and a `mode=ro` reader would create -wal and
    -shm itself (and fail where the folder cannot be written: read-only media, a copy in a locked folder), so
    such a file is read `immutable=1`, as the unchanging file it is.
    """
    with path.open("rb") as fh:
        header = fh.read(SQLITE_HEADER)
    wal_mode = len(header) == SQLITE_HEADER and header[18] == WAL_MODE and header[19] == WAL_MODE
    idle = not path.with_name(path.name + "-wal").exists()
    return f"{path.as_uri()}?{'immutable=1' if wal_mode and idle else 'mode=ro'}"


def reader(url: str | None = None) -> sa.Engine:
    """An engine for reading only: it creates no file, directory or table, and cannot write.

    SQLite is opened read-only (`read_only_uri`); a missing file raises NoDatabase with its absolute path.
    PostgreSQL runs every transaction READ ONLY. Whether the schema is there is `require_schema`'s question.
    """
    return _reader(url or database_url())


@lru_cache(maxsize=8)
def _reader(url: str) -> sa.Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is None:
            raise NoDatabase("an in-memory SQLite database holds nothing to read: set DATABASE_URL to a file")
        if not path.is_file():
            raise NoDatabase(f"no aidnews database at {path}; {FIRST_STEP}")
        uri = read_only_uri(path)
        return sa.create_engine(f"sqlite:///{path}", creator=lambda: sqlite3.connect(uri, uri=True, timeout=30))
    engine = sa.create_engine(url, pool_pre_ping=True, execution_options={"postgresql_readonly": True})
    sa.event.listen(engine, "connect", _as_reader)
    return engine


READER_ROLE = "aidnews_reader"  # created by migration 0010 on PostgreSQL: SELECT on every table and view


def _as_reader(dbapi_connection: object, _record: object) -> None:
    """Switch a new PostgreSQL connection to the read-only role, when the role exists, this user may use it and
    this database has granted it (migration 0010).

    Where it cannot (a database migrated by a user without CREATEROLE, or not a member of the role) the
    connection stays the connecting user's, every transaction still READ ONLY, and a warning says so once.
    The role belongs to the cluster, its grants to each database: a database not yet migrated to 0010 (or
    not an aidnews database at all) is read as the connecting user too, so that `require_schema` can say
    what it is instead of the reader being refused its first table.
    """
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    try:
        cursor.execute(
            "SELECT pg_has_role(current_user, oid, 'MEMBER'), "
            "coalesce(has_table_privilege(oid, to_regclass('alembic_version'), 'SELECT'), false) "
            "FROM pg_roles WHERE rolname = %s",
            (READER_ROLE,),
        )
        row = cursor.fetchone()
        if row and row[0] and row[1]:
            cursor.execute(f"SET ROLE {READER_ROLE}")
        elif row and row[0]:
            pass  # not granted here yet: the schema is older than 0010 or missing, which require_schema reports
        elif not _warned:
            _warned.append(True)
            log.warning(
                "reading as the connecting user: the role %s %s (docs/deploy.md)",
                READER_ROLE,
                "does not exist" if row is None else "is not one this user may switch to",
            )
    finally:
        cursor.close()
    dbapi_connection.commit()  # type: ignore[attr-defined]


_warned: list[bool] = []


def require_schema(engine: sa.Engine) -> str:
    """The schema revision of the database, or NoDatabase when it has no aidnews schema or not this version's."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    where = sqlite_file(str(engine.url)) or describe(engine.url.render_as_string(hide_password=False))
    if current is None:
        raise NoDatabase(f"no aidnews database at {where} (it holds no aidnews tables); {FIRST_STEP}")
    head = head_revision()
    if current != head:
        scripts = ScriptDirectory.from_config(alembic_config())
        try:
            known = scripts.get_revision(current) is not None
        except Exception:  # alembic raises its own errors for an id it does not know
            known = False
        if known:
            raise NoDatabase(
                f"the aidnews database at {where} has schema {current}, older than this version's "
                f"{head}: run `aidnews db upgrade` (or restart the service) first"
            )
        raise NoDatabase(
            f"the aidnews database at {where} has schema {current}, which this version of aidnews "
            f"does not know (its newest is {head}): a newer aidnews wrote it"
        )
    return current


@contextmanager
def session_scope(engine: sa.Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back whole on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None) -> None:
    """Bring the schema to the newest migration (safe to call at every start)."""
    engine = get_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(url: str | None = None, bind: sa.Engine | None = None) -> str | None:
    """The database's schema revision (None before the first migration), read through `bind` when given."""
    with (bind or get_engine(url)).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def size_bytes(engine: sa.Engine | None = None) -> int | None:
    """Size of the database on disk, where the engine can tell."""
    engine = engine or get_engine()
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if not path or path == ":memory:":
            return None
        return sum(p.stat().st_size for p in Path(path).parent.glob(Path(path).name + "*") if p.is_file())
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
    return None


def transient(exc: BaseException) -> bool:
    """True for a database error that a later try may not meet: a lost connection (server restart, network)
    or an operational failure such as a lock timeout. A constraint violation or bad data is not transient."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa.exc.OperationalError)


def error_summary(exc: BaseException) -> str:
    """An exception in one line: a database error's own message, without the statement and its parameters."""
    message = str(exc.orig) if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else str(exc)
    return f"{type(exc).__name__}: {(message.strip().splitlines() or [''])[0][:500]}"


def with_retries(work: Callable[[], T], what: str, delays: Sequence[float] | None = None) -> T:
    """`work()`, tried again after each delay while it fails with a transient database error.

    The engine's pool drops connections found dead (pool_pre_ping), so a retry reconnects. The last failure
    is raised once the delays are used up. Each retried step must be safe to run twice.
    """
    for delay in RETRY_DELAYS if delays is None else delays:
        try:
            return work()
        except Exception as exc:
            if not transient(exc):
                raise
            log.warning("%s failed (%s); trying again in %.1f s", what, error_summary(exc), delay)
            time.sleep(delay)
    return work()
