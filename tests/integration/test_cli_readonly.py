"""Commands that read never write: no file, no directory, no table, and a read-only copy can be queried.

Only serve, run-once, crawl, etl and db upgrade create or migrate a database. The others open SQLite read-only
and PostgreSQL in read-only transactions, and say where they looked when there is no aidnews database.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from etl.store import engine as db
from etl.store import grams
from etl.store.models import Article, Metric

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
READERS = (
    ["articles"],
    ["metrics"],
    ["metrics", "--group-by", "program"],
    ["status"],
    ["db", "current"],
    ["export", "articles", "-o", "out.csv"],
    ["report", "--out", "report.html"],
    ["browse"],
)


def aidnews(*args: str, cwd: Path, database_url: str | None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8", COLUMNS="100")
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "aidnews", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def fill(url: str) -> None:
    """Two articles with a figure each."""
    with Session(db.get_engine(url)) as session:
        for n in (1, 2):
            article = Article(
                url=f"http://a/{n}",
                canonical_url=f"http://a/{n}",
                content_hash=str(n),
                title=f"援疆项目 {n}",
                published_at=datetime(2024, n, 1, tzinfo=UTC),
                program="援疆",
            )
            session.add(article)
            session.commit()
            session.add(
                Metric(
                    article_id=article.id,
                    text="1.5亿元",
                    start=0,
                    end=5,
                    sentence="投入1.5亿元。",
                    value=1.5e8,
                    unit="CNY",
                    category="funding",
                )
            )
            session.commit()


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_without_a_database_a_reader_says_where_it_looked_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    result = aidnews(*command, cwd=tmp_path, database_url=None)
    assert result.returncode == 2, result.stderr
    expected = tmp_path.resolve() / "data" / "aidnews.db"
    assert f"no aidnews database at {expected}" in result.stderr
    assert "run `aidnews db upgrade` or the service first" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # no data/ directory, no database file, no output file


@pytest.fixture
def empty_pg() -> Iterator[str]:
    """A PostgreSQL database without any table, dropped afterwards."""
    from tests.conftest import PG_ADMIN_URL

    name = f"aidnews_empty_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not available: {type(exc).__name__}")
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.mark.postgres
def test_a_postgresql_database_without_the_schema_is_reported_and_left_empty(tmp_path: Path, empty_pg: str) -> None:
    for command in (["articles"], ["metrics"], ["status"], ["export", "metrics", "-o", "m.csv"]):
        result = aidnews(*command, cwd=tmp_path, database_url=empty_pg)
        assert result.returncode == 2, result.stderr
        assert "no aidnews database at postgresql" in result.stderr and "holds no aidnews tables" in result.stderr
    engine = sa.create_engine(empty_pg)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_an_older_schema_asks_for_an_upgrade_instead_of_failing_in_sql(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    from alembic import command

    command.upgrade(db.alembic_config(url), "0001")
    result = aidnews("articles", cwd=tmp_path, database_url=url)
    assert result.returncode == 2
    assert "older than this version's" in result.stderr and "aidnews db upgrade" in result.stderr
    assert db.current_revision(url) == "0001"  # not migrated by a reader
    db.get_engine(url).dispose()


def _lock(folder: Path) -> None:
    """Make a folder and its files unwritable, as read-only media are, even for root (immutable attribute)."""
    for path in [*folder.iterdir(), folder]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    if os.geteuid() == 0:  # root writes through permissions: only the immutable attribute stops it
        done = subprocess.run(["chattr", "+i", *map(str, folder.iterdir()), str(folder)], capture_output=True)
        if done.returncode != 0:
            _unlock(folder)
            pytest.skip(f"cannot make a read-only folder as root here (chattr: {done.stderr.decode().strip()})")


def _unlock(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder), *map(str, folder.iterdir())], capture_output=True)
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)


@pytest.fixture
def read_only_copy(tmp_path: Path) -> Iterator[Path]:
    """A filled SQLite database copied into a folder nobody can write, as on read-only media."""
    source = tmp_path / "live.db"
    url = f"sqlite:///{source}"
    db.upgrade(url)
    fill(url)
    db.get_engine(url).dispose()
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copy(source, folder / "aidnews.db")
    _lock(folder)
    try:
        probe = folder / "probe"
        with pytest.raises(OSError):
            probe.write_text("x")
        yield folder / "aidnews.db"
    finally:
        _unlock(folder)


def test_a_copy_on_read_only_media_can_be_queried(tmp_path: Path, read_only_copy: Path) -> None:
    url = f"sqlite:///{read_only_copy}"
    before = sorted(p.name for p in read_only_copy.parent.iterdir())
    listed = aidnews("articles", "--format", "json", cwd=tmp_path, database_url=url)
    assert listed.returncode == 0, listed.stderr
    assert sorted(json.loads(line)["title"] for line in listed.stdout.splitlines()) == ["援疆项目 1", "援疆项目 2"]
    figures = aidnews("metrics", "--format", "json", cwd=tmp_path, database_url=url)
    assert [json.loads(line)["value"] for line in figures.stdout.splitlines()] == [150000000, 150000000]
    status = aidnews("status", "--format", "json", cwd=tmp_path, database_url=url)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["articles"] == 2
    assert aidnews("db", "current", cwd=tmp_path, database_url=url).returncode == 0
    exported = aidnews("export", "metrics", "-o", str(tmp_path / "m.csv"), cwd=tmp_path, database_url=url)
    assert exported.returncode == 0, exported.stderr
    reported = aidnews("report", "--out", str(tmp_path / "report.html"), cwd=tmp_path, database_url=url)
    assert reported.returncode == 0, reported.stderr
    assert sorted(p.name for p in read_only_copy.parent.iterdir()) == before  # no -wal, no -shm, no lock


def test_a_quiet_database_is_read_without_leaving_files_beside_it(tmp_path: Path) -> None:
    """A WAL database nobody has open: readers leave no -wal or -shm behind (a `mode=ro` reader would)."""
    folder = tmp_path / "db"
    folder.mkdir()
    url = f"sqlite:///{folder / 'aidnews.db'}"
    db.upgrade(url)
    fill(url)
    db.get_engine(url).dispose()
    before = sorted(p.name for p in folder.iterdir())
    assert not any(name.endswith(("-wal", "-shm")) for name in before)  # the writer has closed it
    for command in (
        ["articles"],
        ["metrics"],
        ["status"],
        ["db", "current"],
        ["report", "--out", str(tmp_path / "r.html")],
    ):
        result = aidnews(*command, cwd=tmp_path, database_url=url)
        assert result.returncode == 0, (command, result.stderr)
        assert sorted(p.name for p in folder.iterdir()) == before, command


def test_a_live_database_is_read_while_a_writer_holds_it(tmp_path: Path) -> None:
    """The service writing (its WAL open) and a reader at once: the reader sees what is committed."""
    path = tmp_path / "aidnews.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    fill(url)
    writer = sqlite3.connect(path)
    grams.register(writer)  # the search index's triggers call it, as on every aidnews connection
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("UPDATE article SET title = '改过的标题' WHERE id = 1")
        writer.commit()  # in the WAL, not yet checkpointed into the file: only a WAL reader sees it
        assert path.with_name("aidnews.db-wal").exists()
        listed = aidnews("articles", "--format", "json", cwd=tmp_path, database_url=url)
        assert listed.returncode == 0, listed.stderr
        assert "改过的标题" in {json.loads(line)["title"] for line in listed.stdout.splitlines()}
    finally:
        writer.close()
        db.get_engine(url).dispose()


def test_readers_cannot_write_even_by_mistake(tmp_path: Path, database_url: str) -> None:
    fill(database_url)
    engine = db.reader(database_url)
    try:
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM metric"))
    finally:
        engine.dispose()
        db._reader.cache_clear()
    with db.get_engine(database_url).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM metric")).scalar_one() == 2


def test_status_shows_a_run_whose_process_died_as_crashed_without_writing(sqlite_url: str) -> None:
    """A job killed mid-run (SIGKILL, a lost container) leaves its run `running` until the next job of this
    machine reaps it; `status` must not call it running meanwhile, and, reading only, changes nothing."""
    import socket

    from typer.testing import CliRunner

    from aidnews.cli import app
    from etl.store.models import Run

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, here = int(gone.stdout), socket.gethostname()
    with Session(db.get_engine(sqlite_url)) as session:
        for pid, host in ((dead, here), (os.getpid(), here), (dead, "elsewhere.example")):
            session.add(Run(kind="etl", status="running", pid=pid, host=host))
        session.commit()
    db.get_engine(sqlite_url).dispose()
    shown = CliRunner().invoke(app, ["status", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    runs = {r["id"]: r for r in json.loads(shown.stdout)["recent_runs"]}
    assert runs[1]["status"] == "crashed" and f"process {dead} ended" in runs[1]["error"]
    assert runs[2]["status"] == "running" and runs[2]["error"] is None  # alive: this test
    assert runs[3]["status"] == "running"  # another machine's pid means nothing here
    table = CliRunner().invoke(app, ["status", "--wide"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "crashed" in table.stdout, table.output
    with Session(db.get_engine(sqlite_url)) as session:  # nothing was written
        assert [r.status for r in session.execute(sa.select(Run).order_by(Run.id)).scalars()] == ["running"] * 3


def test_a_crawl_whose_process_died_is_its_sources_last_crawl_failed_with_why(sqlite_url: str) -> None:
    """The per-source rows of `status` read a crawl left `running` by a dead process of this machine as the
    crashed crawl it is: the source's last crawl failed, and why; one still alive is not finished yet."""
    import socket

    from etl.health import source_health
    from etl.store.models import Run

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, here = int(gone.stdout), socket.gethostname()
    with Session(db.get_engine(sqlite_url)) as session:
        session.add(Run(kind="crawl", status="ok", source_name="alpha", counts={}))
        session.add(Run(kind="crawl", status="running", source_name="alpha", pid=dead, host=here))
        session.add(Run(kind="crawl", status="ok", source_name="beta", counts={}))
        session.add(Run(kind="crawl", status="running", source_name="beta", pid=os.getpid(), host=here))
        session.commit()
        rows = {row["source"]: row for row in source_health(session, ["alpha", "beta"])}
    assert rows["alpha"]["last_crawl"] == "failed"
    assert f"crawl crashed: process {dead} ended" in rows["alpha"]["last_error"]
    assert rows["beta"]["last_crawl"] == "ok" and rows["beta"]["last_error"] is None  # still running: not judged
