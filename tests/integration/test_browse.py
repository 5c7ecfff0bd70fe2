"""`aidnews browse`: Datasette on a SQLite database, read-only, with the views as canned queries and FTS.

The main test runs the real command in a child process, reads a canned query's JSON over HTTP, stops the
command and checks that neither it nor its Datasette child is left running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from aidnews.cli import app
from etl import browse
from etl.store import engine as db
from etl.store.models import Article, Metric

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def filled_sqlite(sqlite_url: str) -> Iterator[str]:
    with Session(db.get_engine(sqlite_url)) as session:
        for i, (recipient, amount) in enumerate([("喀什地区", 4.2e6), ("和田地区", 1.2e7), ("喀什地区", 5e7)]):
            article = Article(
                url=f"http://example.test/{i}",
                canonical_url=f"http://example.test/{i}",
                content_hash=str(i),
                title=f"援疆项目{i}",
                body=f"疏勒县第{i}批援疆干部投入资金。",
                published_at=datetime(2023, 3 + i, 1, tzinfo=UTC),
                program="援疆",
                provider_province="山东省",
                recipient_province="新疆维吾尔自治区",
                recipient_prefecture=recipient,
                source_name="demo",
            )
            session.add(article)
            session.commit()
            session.add(
                Metric(
                    article_id=article.id,
                    text="若干万元",
                    start=0,
                    end=4,
                    sentence="投入资金。",
                    value=amount,
                    unit="CNY",
                    category="funding",
                    money_kind="aid_funding",
                )
            )
            session.commit()
    db.get_engine(sqlite_url).dispose()
    yield sqlite_url


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


def _wait_until_up(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"aidnews browse exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            _get_json(f"{base}/-/versions.json")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"Datasette did not answer on {base} within {STARTUP_SECONDS} s")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def _start_browse(url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "aidnews", "browse", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the Datasette child process")
def test_browse_serves_canned_queries_read_only_and_leaves_no_process(filled_sqlite: str) -> None:
    path = Path(filled_sqlite.removeprefix("sqlite:///"))
    before = path.read_bytes()
    files = sorted(p.name for p in path.parent.iterdir())
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start_browse(filled_sqlite, port)
    try:
        _wait_until_up(base, proc)
        totals = _get_json(f"{base}/aidnews/funding_totals.json?_shape=array")
        got = {(r["recipient_prefecture"], r["year"]): (r["total_cny"], r["articles"]) for r in totals}
        assert got == {("喀什地区", 2023): (5.42e7, 2), ("和田地区", 2023): (1.2e7, 1)}
        recipient = urllib.parse.quote("和田")
        evidence = _get_json(f"{base}/aidnews/funding_evidence.json?_shape=array&recipient={recipient}")
        assert [r["title"] for r in evidence] == ["援疆项目1"]
        meta = _get_json(f"{base}/-/metadata.json")
        tables = meta["databases"]["aidnews"]["tables"]
        assert tables["metric"]["columns"]["qualifier"].startswith("exact")
        assert "v_funding_totals" in tables and "description" in tables["v_articles"]
        # The SQL editor is there, but a statement that writes is refused and the file stays as it was.
        query = urllib.parse.urlencode({"sql": "DELETE FROM metric", "_shape": "array"})
        with pytest.raises(urllib.error.HTTPError):
            _get_json(f"{base}/aidnews.json?{query}")
        children = _children(proc.pid)
        assert children, "aidnews browse should run Datasette as its child"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert _gone_within(children, 10), f"Datasette ({children}) outlived aidnews browse"
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == files  # no -wal or -shm left beside it


def test_wal_files_of_a_live_writer_are_left_to_it(filled_sqlite: str) -> None:
    path = Path(filled_sqlite.removeprefix("sqlite:///"))
    assert browse.wal_files(path) == frozenset()
    browse.build_metadata(path)  # a `mode=ro` reader of an idle WAL database creates both files …
    assert browse.wal_files(path) == {"-wal", "-shm"}
    browse.tidy_wal(path, frozenset())  # … which are removed as SQLite removes them
    assert browse.wal_files(path) == frozenset()
    writer = sqlite3.connect(path)
    try:
        writer.execute("UPDATE metric SET sentence = sentence || '!' WHERE id = 1")
        writer.commit()
        browse.build_metadata(path)
        browse.tidy_wal(path, frozenset())  # told they were ours, yet held by the writer: left alone
        assert browse.wal_files(path) == {"-wal", "-shm"}
    finally:
        writer.close()
    assert browse.wal_files(path) == frozenset()  # the writer's last close removed them


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_datasette_dies_with_a_killed_browse(filled_sqlite: str) -> None:
    port = _free_port()
    proc = _start_browse(filled_sqlite, port)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", proc)
        children = _children(proc.pid)
        assert children
    finally:
        proc.kill()  # no chance to clean up: the child must still go
        proc.wait(timeout=20)
    assert _gone_within(children, 10), f"Datasette ({children}) outlived a killed aidnews browse"


def test_metadata_enables_full_text_search_when_the_index_exists(filled_sqlite: str) -> None:
    path = Path(filled_sqlite.removeprefix("sqlite:///"))
    tables = browse.build_metadata(path)["databases"]["aidnews"]["tables"]  # the migration built the index
    assert tables["article"]["fts_table"] == browse.FTS_TABLE and tables["v_articles"]["fts_pk"] == "id"
    with sqlite3.connect(path) as conn:
        for trigger in ("article_fts_insert", "article_fts_update", "article_fts_delete"):
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute(f"DROP TABLE {browse.FTS_TABLE}")
    conn.close()
    assert "fts_table" not in json.dumps(browse.build_metadata(path))  # no index: none promised


@pytest.mark.slow
def test_datasette_searches_the_index_through_the_metadata(filled_sqlite: str) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with browse.datasette(filled_sqlite, port) as proc:
        _wait_until_up(base, proc)
        found = _get_json(f"{base}/aidnews/v_articles.json?_shape=array&_search={urllib.parse.quote('第1批')}")
    assert [r["title"] for r in found] == ["援疆项目1"]


def test_metadata_offers_only_the_views_that_exist(filled_sqlite: str) -> None:
    path = Path(filled_sqlite.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:
        conn.execute("DROP VIEW v_funding_totals")
    conn.close()
    queries = browse.build_metadata(path)["databases"]["aidnews"]["queries"]
    assert "funding_totals" not in queries and {"articles", "metrics", "funding_evidence"} <= set(queries)


def test_postgresql_is_refused_with_what_to_do_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://aid@127.0.0.1/aidnews")
    result = CliRunner().invoke(app, ["browse", "--port", str(_free_port())])
    said = " ".join(result.output.split())  # the console wraps long lines
    assert result.exit_code == 2
    assert (
        "serves SQLite only" in said
        and "aidnews_reader" in said
        and "`aidnews export`" in said
        and "Traceback" not in said
    )


def test_a_missing_database_is_named_and_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere" / "aidnews.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    result = CliRunner().invoke(app, ["browse", "--port", str(_free_port())])
    assert result.exit_code == 2 and f"no aidnews database at {missing}" in result.output.replace("\n", "")
    assert "Traceback" not in result.output
    assert not missing.parent.exists()


def test_a_busy_port_is_one_line_not_a_traceback(filled_sqlite: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        result = CliRunner().invoke(app, ["browse", "--port", str(sock.getsockname()[1])])
    assert result.exit_code == 2 and "is busy" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_an_immutable_copy_is_served_too(filled_sqlite: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "aidnews.db"
    copy.parent.mkdir()
    copy.write_bytes(Path(filled_sqlite.removeprefix("sqlite:///")).read_bytes())
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with browse.datasette(f"sqlite:///{copy}", port, immutable=True) as proc:
        _wait_until_up(base, proc)
        assert "--immutable" in proc.args
        rows = _get_json(f"{base}/aidnews/articles.json?_shape=array")
    assert sorted(r["title"] for r in rows) == ["援疆项目0", "援疆项目1", "援疆项目2"]
    assert sorted(p.name for p in copy.parent.iterdir()) == ["aidnews.db"]  # nothing written beside it
