"""ETL workers sharing one PostgreSQL database (`aidnews etl --worker`): every page processed once, the same
articles, figures and duplicate links as one process, and nothing lost when a worker is killed mid-batch.

The pages are the demo portal's articles stored directly (no crawl: the subject is the ETL), plus exact copies
of some of them at other URLs (copies published together: which one is primary is decided by page id) and
groups of pages that name one canonical URL (the highest page id must win, whatever order workers finish in).
Every configuration gets a fresh database with the same pages in the same id order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from stored import page_row

from crawler.demo import demo_sources, render_articles
from etl.sources import parse_sources
from etl.store import engine as db
from etl.store.claims import claim, claimable_exists, page_t, release_dead_claims
from etl.store.models import Run
from etl.store.sources import sync_sources
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:1"  # never fetched: the pages are stored directly
COPIES = 20  # demo articles stored a second time under another URL
COLLISION_GROUPS = 3  # canonical URLs named by three pages each
BATCH = 4  # small batches, so workers interleave
WORKER_TIMEOUT = 600  # seconds for one configuration's workers, on a machine loaded by other test runs
PARAGRAPHS = [
    "今年以来，江苏省援疆前方指挥部聚焦产业和就业，累计投入援疆资金{n}万元，实施民生项目{m}个。",
    "在霍城县产业园，新建标准化厂房{m}万平方米，引进服装加工企业{n}家，带动当地群众就业{m}00余人。",
    "援疆干部表示，将继续做好对口支援工作，推动更多项目落地见效，让各族群众在家门口增收致富。",
]


def collision_page(group: int, version: int) -> bytes:
    body = "".join(f"<p>{p.format(n=group * 10 + version + 3, m=version + 2)}</p>" for p in PARAGRAPHS)
    return (
        f"<html><head><meta charset='utf-8'><title>援疆项目进展第{group}号 第{version}稿</title>"
        f"<link rel='canonical' href='http://collide.cn/{group}.html'></head><body><h1>援疆项目进展第{group}号 "
        f"第{version}稿</h1><div class='info'>发布时间：2023-0{group + 1}-1{version} 10:30 来源：伊犁日报</div>"
        f"<div class='article-content'>{body}</div></body></html>"
    ).encode()


def stored_pages() -> list[tuple[str, str | None, bytes, str]]:
    """(url, source, body, content type) of every page, in the order they are stored (their page ids)."""
    sources = {s["name"].removeprefix("demo-"): s["name"] for s in demo_sources(BASE)}
    demo = [(BASE + p.path, sources[p.path.split("/")[1]], p.body, p.content_type) for p in render_articles()]
    pages = list(demo)
    for url, source, body, kind in demo[:COPIES]:
        pages.append((url.replace(BASE, "http://mirror.cn"), source, body, kind))
    for version in range(3):
        for group in range(COLLISION_GROUPS):
            pages.append(
                (f"http://collide.cn/{group}.html?v={version}", "test", collision_page(group, version), "text/html")
            )
    return pages


@pytest.fixture
def fresh_db() -> Iterator[Any]:
    """Makes fresh migrated databases holding the same pages; drops them at the end."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"aidnews_etlw_{uuid.uuid4().hex[:10]}"
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except Exception as exc:
            pytest.skip(f"PostgreSQL not available: {type(exc).__name__}")
        made.append(name)
        url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        db.upgrade(url)
        engine = db.get_engine(url)
        sync_sources(parse_sources({"source": demo_sources(BASE)}).sources, engine)
        now = datetime.now(UTC)
        with Session(engine) as session:
            for url_, source, body, kind in stored_pages():
                session.add(page_row(url_, body, kind, source, fetched_at=now))
                session.flush()  # one row at a time: ids in list order
            session.commit()
        return url

    yield make
    for name in made:
        url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        db.get_engine(url).dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def start_worker(url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "aidnews", "etl", "--worker", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_workers(url: str, count: int, *extra: str) -> list[str]:
    """`count` workers at once, each draining the queue once; their stderr. Each must exit 0."""
    workers = [start_worker(url, "--once", "--batch", str(BATCH), *extra) for _ in range(count)]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=WORKER_TIMEOUT)
        assert worker.returncode == 0, err[-3000:]
        outputs.append(err)
    return outputs


def dump(url: str) -> dict[str, Any]:
    """The database's content as one process would leave it, without the ids that depend on write order."""
    engine = db.get_engine(url)
    with engine.connect() as conn:
        urls = dict(conn.execute(sa.text("SELECT id, url FROM page")).all())
        articles = conn.execute(sa.text("SELECT * FROM article")).mappings().all()
        canonical = {a["id"]: a["canonical_url"] for a in articles}
        skip = {"id", "page_id", "duplicate_of", "updated_at", "created_at", "dedup_rev"}
        out_articles = {
            a["canonical_url"]: {
                **{k: v for k, v in a.items() if k not in skip},
                "page": urls[a["page_id"]],
                "duplicate_of": canonical.get(a["duplicate_of"]),
            }
            for a in articles
        }
        metrics: dict[str, list[tuple[Any, ...]]] = {}
        for row in conn.execute(sa.text("SELECT * FROM metric")).mappings():
            values = tuple((k, row[k]) for k in sorted(row) if k not in {"id", "article_id"})
            metrics.setdefault(canonical[row["article_id"]], []).append(values)
        pages = {
            r.url: (r.etl_status, r.etl_error, r.claimed_by)
            for r in conn.execute(sa.text("SELECT url, etl_status, etl_error, claimed_by FROM page"))
        }
    return {
        "articles": out_articles,
        "metrics": {k: sorted(v, key=repr) for k, v in metrics.items()},
        "pages": pages,
    }


def etl_runs(url: str) -> list[Run]:
    with Session(db.get_engine(url)) as session:
        return list(session.execute(sa.select(Run).where(Run.kind == "etl")).scalars())


@pytest.fixture
def one_worker(fresh_db: Any) -> dict[str, Any]:
    url = fresh_db()
    run_workers(url, 1)
    return dump(url)


@pytest.mark.parametrize("count", [2, 4])
def test_workers_at_once_match_one_worker(fresh_db: Any, one_worker: dict[str, Any], count: int) -> None:
    url = fresh_db()
    run_workers(url, count)
    result = dump(url)
    total = len(stored_pages())
    assert len(result["pages"]) == total
    assert all(state != "pending" and claimed is None for state, _, claimed in result["pages"].values())
    runs = etl_runs(url)
    assert len(runs) == count and all(r.status == "ok" for r in runs)
    assert sum(r.counts.get("pages", 0) for r in runs) == total  # every page processed once, none twice
    assert sum(r.counts.get("pages", 0) > 0 for r in runs) >= 2  # the work really was shared
    # What one worker makes of the same pages: copies, canonical groups and all.
    copies = [a for a in one_worker["articles"].values() if a["duplicate_of"]]
    assert len(copies) >= COPIES
    assert {a["page"] for u, a in one_worker["articles"].items() if u.startswith("http://collide.cn/")} == {
        f"http://collide.cn/{g}.html?v=2" for g in range(COLLISION_GROUPS)
    }
    assert result["pages"] == one_worker["pages"]
    assert result["articles"].keys() == one_worker["articles"].keys()
    for key, article in one_worker["articles"].items():
        assert result["articles"][key] == article, key
    assert result["metrics"] == one_worker["metrics"]


def test_a_killed_workers_batch_is_taken_after_its_lease(fresh_db: Any) -> None:
    url = fresh_db()
    engine = db.get_engine(url)
    total = len(stored_pages())
    lease = 6.0
    victim = start_worker(url, "--once", "--batch", str(total), "--lease", str(lease))
    deadline = time.monotonic() + WORKER_TIMEOUT
    claimed = 0
    while time.monotonic() < deadline and victim.poll() is None:
        with engine.connect() as conn:
            claimed = conn.execute(sa.select(sa.func.count()).where(page_t.c.claimed_by.is_not(None))).scalar_one()
        if claimed:
            break
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate()
    assert claimed == total, "the worker ended before it claimed its batch"
    killed_at = time.monotonic()
    # A dead worker of this machine is noticed at once (release_dead_claims, tested below); one of another
    # machine only by its lease running out. Its claims are made to look remote so the lease is what is tested.
    with engine.begin() as conn:
        conn.execute(
            sa.update(page_t).where(page_t.c.claimed_by.is_not(None)).values(claimed_by="another-machine.invalid:1:x")
        )
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM article")).scalar_one() == 0  # killed mid-batch
        assert not claimable_exists(conn)
    # While the lease holds, another worker leaves the dead one's pages alone...
    run_workers(url, 1, "--lease", str(lease))
    early = etl_runs(url)
    if time.monotonic() - killed_at < lease:  # (a loaded machine may have let the lease run out meanwhile)
        assert [r.counts.get("pages", 0) for r in early if r.status == "ok"] == [0]
    # ...and once it has run out, they are all processed, each once.
    time.sleep(max(0.0, lease - (time.monotonic() - killed_at)) + 0.5)
    run_workers(url, 2, "--lease", str(lease))
    pages = dump(url)["pages"]
    assert all(state != "pending" and claimed is None for state, _, claimed in pages.values())
    assert sum(r.counts.get("pages", 0) for r in etl_runs(url) if r.status == "ok") == total
    crashed = [r for r in etl_runs(url) if r.status != "ok"]
    assert [r.status for r in crashed] == ["crashed"]  # the victim's run, reaped: it says it did not finish


def test_a_worker_stops_after_its_batch_on_sigterm(fresh_db: Any) -> None:
    url = fresh_db()
    worker = start_worker(url, "--batch", "2")  # a long-running worker: no --once
    engine = db.get_engine(url)
    deadline = time.monotonic() + WORKER_TIMEOUT
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(sa.text("SELECT count(*) FROM page WHERE etl_status <> 'pending'")).scalar_one():
                break
        time.sleep(0.05)
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=WORKER_TIMEOUT)
    assert worker.returncode == 128 + signal.SIGTERM, err[-2000:]
    runs = etl_runs(url)
    assert [r.status for r in runs] == ["interrupted"]
    with engine.connect() as conn:
        done = conn.execute(sa.text("SELECT count(*) FROM page WHERE etl_status <> 'pending'")).scalar_one()
        held = conn.execute(sa.text("SELECT count(*) FROM page WHERE claimed_by IS NOT NULL")).scalar_one()
    assert done == runs[0].counts["pages"] and 0 < done < len(stored_pages())
    assert held == 0  # the batch in flight was written, and nothing else was claimed


def test_a_worker_waits_for_new_pages_and_takes_them(fresh_db: Any) -> None:
    url = fresh_db()
    run_workers(url, 1)
    worker = start_worker(url, "--batch", "10")
    try:
        engine = db.get_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE page SET etl_status = 'pending' WHERE url LIKE 'http://mirror.cn/%'"))
        deadline = time.monotonic() + WORKER_TIMEOUT
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if not conn.execute(sa.text("SELECT count(*) FROM page WHERE etl_status = 'pending'")).scalar_one():
                    break
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=WORKER_TIMEOUT)
    runs = etl_runs(url)
    assert [r.counts.get("pages") for r in runs if r.counts.get("pages")] == [len(stored_pages()), COPIES]


def test_the_worker_refuses_sqlite_and_an_old_schema(sqlite_url: str, fresh_db: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aidnews", "etl", "--worker", "--once"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": sqlite_url, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "needs PostgreSQL" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    url = fresh_db()
    with db.get_engine(url).begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0008'"))
    worker = start_worker(url, "--once")
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 2 and "db upgrade" in err
    with db.get_engine(url).connect() as conn:  # it did not migrate either
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0008"


def test_claims_skip_each_other_and_expire(fresh_db: Any) -> None:
    engine = db.get_engine(fresh_db())
    with engine.begin() as conn:  # rewritten rows move in the table: claims must still go by page id, not row order
        conn.execute(sa.text("UPDATE page SET fetched_at = fetched_at WHERE id <= 12"))
    with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):  # whatever plan PostgreSQL picks (the partial index reads in id order)
            conn.exec_driver_sql("SET enable_indexscan = off; SET enable_bitmapscan = off")
            conn.commit()
        with first.begin():
            a = claim(first, "host:1:a", 5, 60)
            with second.begin():  # while the first claim is not committed, its rows are skipped
                b = claim(second, "host:2:b", 5, 60)
        assert a == [1, 2, 3, 4, 5] and b == [6, 7, 8, 9, 10]
        with first.begin():  # committed claims are not claimed again
            assert claim(first, "host:3:c", 2, 60) == [11, 12]
        with first.begin():  # an expired lease is
            first.execute(sa.update(page_t).where(page_t.c.id <= 2).values(claimed_until=sa.func.now()))
        with second.begin():
            assert claim(second, "host:4:d", 3, 60) == [1, 2, 13]


def test_a_dead_local_processes_claims_are_released(fresh_db: Any) -> None:
    import socket

    engine = db.get_engine(fresh_db())
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    with engine.begin() as conn:
        claim(conn, f"{socket.gethostname()}:{dead}:x", 3, 600)
        claim(conn, f"{socket.gethostname()}:{os.getpid()}:y", 3, 600)  # alive: this test
        claim(conn, f"elsewhere.example:{dead}:z", 3, 600)  # another machine's: its pids mean nothing here
    with engine.begin() as conn:
        assert release_dead_claims(conn) == 3
        held = dict(conn.execute(sa.select(page_t.c.id, page_t.c.claimed_by).where(page_t.c.id <= 9)).all())
    assert [held[i] is None for i in range(1, 10)] == [True] * 3 + [False] * 6


def test_a_worker_takes_at_once_the_pages_of_a_dead_worker_of_its_machine(fresh_db: Any) -> None:
    """A worker of this machine killed mid-batch leaves claims with hours of lease left; the next pass on this
    machine sees that their process is gone and takes them now, not when the lease runs out."""
    import socket

    url = fresh_db()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with db.get_engine(url).begin() as conn:
        assert len(claim(conn, f"{socket.gethostname()}:{int(gone.stdout)}:x", 10, 3 * 3600)) == 10
    run_workers(url, 1)
    assert all(state != "pending" and claimed is None for state, _, claimed in dump(url)["pages"].values())
    assert [r.counts.get("pages") for r in etl_runs(url)] == [len(stored_pages())]


def test_a_page_finished_after_a_newer_one_leaves_its_article_alone(fresh_db: Any) -> None:
    """Workers finish in any order: the lower of two waiting pages with one canonical URL, written last, must not
    replace the article the higher one wrote (one process, in id order, would have written the higher one last)."""
    url = fresh_db()
    engine = db.get_engine(url)
    older = "http://collide.cn/0.html?v=0"
    with engine.begin() as conn:  # the newer versions go first, as a faster worker would take them
        conn.execute(sa.text("UPDATE page SET etl_status = 'skipped' WHERE url = :u"), {"u": older})
    run_workers(url, 1)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE page SET etl_status = 'pending' WHERE url = :u"), {"u": older})
    run_workers(url, 1)
    article = dump(url)["articles"]["http://collide.cn/0.html"]
    assert article["page"] == "http://collide.cn/0.html?v=2"
    assert dump(url)["pages"][older][0] == "done"
    assert [r.counts.get("superseded") for r in etl_runs(url)] == [None, 1]
    # A page fetched again after the newer one was processed is news, though: it replaces the article.
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE page SET etl_status = 'pending', fetched_at = now() + interval '1 minute' WHERE url = :u"),
            {"u": older},
        )
    run_workers(url, 1)
    assert dump(url)["articles"]["http://collide.cn/0.html"]["page"] == older


def test_a_worker_that_loses_its_database_says_so_in_a_line(fresh_db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database goes away mid-pass (dropped here; a server gone for good alike): once the retries are spent,
    `etl --worker --once` ends with one error line and exit 1, not a traceback (-v shows it)."""
    import logging

    from typer.testing import CliRunner

    from aidnews.cli import app
    from etl import process
    from etl.store import engine as engine_module

    real = process._write_batch
    dropping: list[str] = []

    def drop_then_write(*args: Any, **kwargs: Any) -> None:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{dropping[-1]}" WITH (FORCE)')
        admin.dispose()
        real(*args, **kwargs)

    monkeypatch.setattr(process, "_write_batch", drop_then_write)
    monkeypatch.setattr(engine_module, "RETRY_DELAYS", (0.01, 0.01))
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        for verbose in ([], ["-v"]):
            url = fresh_db()
            name = str(sa.engine.make_url(url).database)
            dropping.append(name)
            done = CliRunner().invoke(app, [*verbose, "etl", "--worker", "--once"], env={"DATABASE_URL": url})
            assert done.exit_code == 1, done.output
            last = done.stderr.strip().splitlines()[-1]
            assert last.startswith("error: the database at ") and f'database "{name}" does not exist' in last, last
            assert ("Traceback" in done.stderr) is bool(verbose), done.stderr
    finally:
        root.handlers[:], root.level = handlers, level


def test_a_worker_whose_pass_fails_exits_1_and_the_run_says_why(fresh_db: Any) -> None:
    url = fresh_db()
    with db.get_engine(url).begin() as conn:  # the database refuses every article (a full disk, a bad grant)
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no room'; END $$"
        )
        conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON article FOR EACH ROW EXECUTE FUNCTION refuse()")
    worker = start_worker(url, "--once")
    _, err = worker.communicate(timeout=WORKER_TIMEOUT)
    assert worker.returncode == 1, err[-2000:]
    assert "Traceback" not in err and "no room" in err, err[-2000:]
    assert [(r.status, "no room" in (r.error or "")) for r in etl_runs(url)] == [("failed", True)]
