"""Shared fixtures: a fresh database on SQLite and on PostgreSQL, the demo portal, the seed files.

PostgreSQL tests use a throw-away database per test session on 127.0.0.1:5432 (override the server with
AIDNEWS_TEST_PG_ADMIN_URL). Without a server they skip with a reason on a developer machine, and fail in CI
(CI=true), where none may be skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from etl.store import engine as db

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed"
PG_ADMIN_URL = os.environ.get("AIDNEWS_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    if not (SEED / "aid-article.txt").exists():
        pytest.skip(f"the shared seed files are not beside this clone ({SEED}); they ship with the project's "
                    "shared folder, not with the repository")
    return SEED


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session, dropped at the end."""
    name = f"aidnews_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        admin.dispose()
        _unavailable(f"{db.describe(PG_ADMIN_URL)}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    yield url
    db.get_engine(url).dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = db.get_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")  # a leaked transaction fails the test, not hangs it
        conn.exec_driver_sql("TRUNCATE metric, article, page, run, source, service RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, migrated database, once on SQLite and once on PostgreSQL; DATABASE_URL points at it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'aidnews.db'}"
        db.upgrade(url)
    else:
        url = request.getfixturevalue("pg_server_url")
        _truncate_pg(url)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    if request.param == "sqlite":
        db.get_engine(url).dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, migrated SQLite database (for tests whose subject is not the database)."""
    url = f"sqlite:///{tmp_path / 'aidnews.db'}"
    db.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    db.get_engine(url).dispose()
