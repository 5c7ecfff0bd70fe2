"""The aidnews command line as a user runs it: run-once on the demo portal, queries, the service."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AIDNEWS = [sys.executable, "-m", "aidnews"]


def aidnews(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AIDNEWS, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return dict(os.environ, DATABASE_URL=database_url, PYTHONIOENCODING="utf-8")


def test_run_once_on_the_demo_portal_is_idempotent(env: dict[str, str]) -> None:
    first = aidnews("run-once", "--demo", env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    articles = json_lines(aidnews("articles", "--duplicates", "--format", "json", "--limit", "1000", env=env).stdout)
    assert len(articles) >= 50
    assert all(a["title"] for a in articles)
    second = aidnews("run-once", "--demo", env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    again = json_lines(aidnews("articles", "--duplicates", "--format", "json", "--limit", "1000", env=env).stdout)
    assert len(again) == len(articles)
    assert sorted(a["canonical_url"] for a in again) == sorted(a["canonical_url"] for a in articles)

    money = json_lines(aidnews("metrics", "--unit", "CNY", "--format", "json", "--limit", "1000", env=env).stdout)
    assert len(money) >= 20 and all(m["value"] > 0 and m["sentence"] for m in money)
    table = aidnews("articles", "--limit", "5", env=env)
    assert table.returncode == 0 and "援" in table.stdout  # Chinese prints as Chinese

    status = json.loads(aidnews("status", "--format", "json", env=env).stdout)
    assert status["articles"] == len(articles) and status["pages_pending"] == 0
    from crawler.demo import ground_truth

    distinct = {t["id"] for t in ground_truth("http://127.0.0.1:1")}
    assert status["primary_articles"] == len(distinct)  # every syndicated copy points at its original
    assert {s["source"] for s in status["sources"]} >= {"demo-hq", "demo-county", "demo-portal"}
    kinds = [r["kind"] for r in status["recent_runs"]]
    assert kinds.count("crawl") == 2 and kinds.count("etl") == 2


def test_pages_that_are_not_about_aid_are_skipped_with_a_reason(sqlite_url: str) -> None:
    env = dict(os.environ, DATABASE_URL=sqlite_url)
    assert aidnews("run-once", "--demo", env=env).returncode == 0
    from sqlmodel import Session, select

    from etl.store import engine as db
    from etl.store.models import Page

    with Session(db.get_engine(sqlite_url)) as session:
        skipped = session.exec(select(Page).where(Page.etl_status == "skipped", Page.kind == "article")).all()
    reasons = {p.url.rsplit("/", 1)[-1]: p.etl_error for p in skipped}
    assert any("not about aid" in (r or "") for r in reasons.values()), reasons


def test_a_bad_database_url_gives_a_readable_error(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = aidnews("articles", env=env, timeout=60)
    assert result.returncode == 2
    assert "cannot open the database" in result.stderr and "Traceback" not in result.stderr


def test_every_subcommand_has_help_with_an_example() -> None:
    from typer.main import get_command

    from aidnews.cli import app

    def walk(command, path):  # noqa: ANN001, ANN202
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, command

    commands = list(walk(get_command(app), []))
    assert len(commands) >= 10
    for path, command in commands:
        assert command.help and "Example: aidnews" in command.help, path


def test_the_service_runs_the_demo_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'svc.db'}", PYTHONIOENCODING="utf-8")
    log = (tmp_path / "service.log").open("w+")
    service = subprocess.Popen([sys.executable, "scheduler.py", "--demo"], cwd=ROOT, env=env, stderr=log,
                               stdout=log)
    try:
        deadline = time.monotonic() + 90
        articles: list[dict] = []
        while time.monotonic() < deadline and len(articles) < 50:
            time.sleep(2)
            assert service.poll() is None, Path(log.name).read_text()[-3000:]
            result = aidnews("articles", "--format", "json", "--limit", "1000", env=env)
            articles = json_lines(result.stdout) if result.returncode == 0 else []
        assert len(articles) >= 50, Path(log.name).read_text()[-3000:]

        second = subprocess.run([sys.executable, "scheduler.py", "--demo"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "another aidnews scheduler" in second.stderr
        running = json.loads(aidnews("status", "--format", "json", env=env).stdout)
        assert running["service"]["state"] == "running" and running["service"]["pid"] == service.pid
        assert {"crawl demo-hq", "etl", "maintenance"} <= {j["job"] for j in running["next_runs"]}

        started = time.monotonic()
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
        assert time.monotonic() - started < 30
    finally:
        if service.poll() is None:
            service.kill()
    assert json.loads(aidnews("status", "--format", "json", env=env).stdout)["service"]["state"] == "stopped"
    lines = [json.loads(line) for line in Path(log.name).read_text().splitlines() if line.startswith("{")]
    assert any(line.get("message") == "run finished" and line["run"]["kind"] == "crawl" for line in lines)
    assert any(line.get("message") == "stopped" for line in lines)


def test_export_writes_csv_a_spreadsheet_opens_and_json_lines(sqlite_url: str, tmp_path: Path) -> None:
    from sqlmodel import Session

    from etl.store import engine as db
    from etl.store.models import Article, Metric

    with Session(db.get_engine(sqlite_url)) as session:
        article = Article(url="http://a/1", canonical_url="http://a/1", content_hash="h", title="援疆，资金到位",
                          topics=["民生", "产业"])
        session.add(article)
        session.commit()
        session.add(Metric(article_id=article.id, text="420余万元", start=0, end=6, sentence="投入援疆资金420余万元。",
                           value=4.2e6, unit="CNY", qualifier="over", category="funding"))
        session.commit()
    env = dict(os.environ, DATABASE_URL=sqlite_url)
    assert aidnews("export", "metrics", "-o", str(tmp_path / "m.csv"), env=env).returncode == 0
    import csv

    with (tmp_path / "m.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["text"] == "420余万元" and float(rows[0]["value"]) == 4.2e6 and rows[0]["title"] == "援疆，资金到位"
    assert (tmp_path / "m.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese right
    assert aidnews("export", "articles", "-o", str(tmp_path / "a.jsonl"), env=env).returncode == 0
    assert json_lines((tmp_path / "a.jsonl").read_text("utf-8"))[0]["topics"] == ["民生", "产业"]
    bad = aidnews("export", "metrics", "-o", str(tmp_path / "m.xlsx"), env=env)
    assert bad.returncode == 2 and "choose csv, jsonl, parquet" in bad.stderr
