"""Shared fixtures (a fresh database on SQLite and on PostgreSQL, the seed files), the test layers, and the check
that no test leaves a process behind.

Layers, by folder: tests/unit/ (no network, no database server; `make test-fast`), tests/integration/ (crawls,
databases, the service), tests/demo/ (the demo portal generator), tests/reliability/ (the fault and fuzz campaign,
docs/reliability.md). Each test gets its folder's marker, so
`pytest -m unit` or `-m "not slow"` select them; tests that run on PostgreSQL also get `postgres`.

PostgreSQL tests use a throw-away database per test session on 127.0.0.1:5432 (override the server with
AIDNEWS_TEST_PG_ADMIN_URL). Without a server they skip with a reason on a developer machine, and fail in CI
(CI=true), where none may be skipped.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from shared import SEED

from etl.store import engine as db

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("AIDNEWS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PG_ADMIN_URL = os.environ.get("AIDNEWS_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    if not (SEED / "aid-article.txt").exists():
        pytest.skip(
            f"the shared seed files are not beside this clone ({SEED}); they ship with the project's "
            "shared folder, not with the repository"
        )
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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
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
def postgres_url(pg_server_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The session's PostgreSQL database, emptied and migrated, for tests that need PostgreSQL (DATABASE_URL too)."""
    _truncate_pg(pg_server_url)
    monkeypatch.setenv("DATABASE_URL", pg_server_url)
    return pg_server_url


@pytest.fixture
def redis_url() -> str:
    """The test Redis (its keys are namespaced by database, so parallel sessions do not meet); skip without one."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI: {exc}")
        pytest.skip(f"Redis not available at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, migrated SQLite database (for tests whose subject is not the database)."""
    url = f"sqlite:///{tmp_path / 'aidnews.db'}"
    db.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    db.get_engine(url).dispose()


# ---------------------------------------------------------------------------------------------------------
# Layers

LAYERS = ("unit", "integration", "demo", "reliability")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        layer = item.path.parent.name
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))


# ---------------------------------------------------------------------------------------------------------
# No orphans: the test run adopts every process its tests start (a child subreaper on Linux, so a grandchild
# whose parent died is re-parented to pytest instead of init), and fails when one is still alive at the end.

PR_SET_CHILD_SUBREAPER = 36
ORPHAN_GRACE_SECONDS = 10.0
# Started by the standard library for the test process itself and gone when it exits: not a test's leftover.
_RUNNER_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def pytest_sessionstart(session: pytest.Session) -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _descendants(root: int) -> dict[int, str]:
    """Live (non-zombie) descendants of `root`: pid -> command line."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":
            continue
        parents[int(entry.name)] = int(fields[1])
        commands[int(entry.name)] = cmdline
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = commands[pid]
                frontier.append(pid)
    return {pid: cmd for pid, cmd in found.items() if not any(helper in cmd for helper in _RUNNER_HELPERS)}


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not Path("/proc/self/stat").exists():
        return
    deadline = time.monotonic() + ORPHAN_GRACE_SECONDS
    left = _descendants(os.getpid())
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        _reap()
        left = _descendants(os.getpid())
    if not left:
        return
    lines = "\n".join(f"  pid {pid}: {cmd[:200]}" for pid, cmd in sorted(left.items()))
    sys.stderr.write(f"\nFAILED: {len(left)} process(es) started by the tests outlived them:\n{lines}\n")
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _reap()
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
