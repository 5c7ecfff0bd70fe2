"""Engine, sessions and migrations: the one place that knows which database is in use.

`DATABASE_URL` selects it (any SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db``); without it the
embedded default is SQLite at ``data/aidnews.db`` (WAL mode, 30 s busy timeout).
"""

from __future__ import annotations

import logging
import os
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

DEFAULT_SQLITE_PATH = Path("data") / "aidnews.db"
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
RETRY_DELAYS: Sequence[float] = (1.0, 2.0, 4.0, 8.0, 16.0)  # seconds between tries after a lost connection

log = logging.getLogger("aidnews.db")
T = TypeVar("T")


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


def current_revision(url: str | None = None) -> str | None:
    with get_engine(url).connect() as conn:
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
    for delay in (RETRY_DELAYS if delays is None else delays):
        try:
            return work()
        except Exception as exc:
            if not transient(exc):
                raise
            log.warning("%s failed (%s); trying again in %.1f s", what, error_summary(exc), delay)
            time.sleep(delay)
    return work()
