"""Honest outcomes: failed sources make a crawl partial or failed (exit 1), status names every source and its last
error, run counts are what is stored, and an expected failure is a line or two, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from etl import query
from etl.health import UNNAMED_SOURCE
from etl.store import engine as db
from etl.store.models import Article, Page, Run

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def aidnews(*args: str, url: str, cwd: Path = ROOT, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8", COLUMNS="100")
    return subprocess.run(
        [sys.executable, "-m", "aidnews", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def toml_source(name: str, start: str, article: str, lists: str | None = None) -> str:
    lines = [
        f'[[source]]\nname = "{name}"\nstart_urls = ["{start}"]\nallowed_domains = ["127.0.0.1"]',
        f"article_patterns = ['{article}']",
        "local = true",
    ]
    if lists:
        lines.append(f"list_patterns = ['{lists}']")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def portal() -> str:
    from crawler.demo.launch import demo_portal

    with demo_portal() as base:
        yield base


@pytest.fixture
def sources(tmp_path: Path, portal: str) -> Path:
    """A live source (the demo county site), two dead ones (nothing listens on ports 1 and 9), one never crawled."""
    from crawler.demo import demo_sources

    county = next(s for s in demo_sources(portal) if s["name"] == "demo-county")
    path = tmp_path / "sources.toml"
    path.write_text(
        '[settings]\ntimezone = "Asia/Shanghai"\n\n'
        + toml_source("county", county["start_urls"][0], county["article_patterns"][0], county["list_patterns"][0])
        + toml_source("dead", "http://127.0.0.1:1/news/", r"/news/\d+\.html")
        + toml_source("gone", "http://127.0.0.1:9/news/", r"/news/\d+\.html")
        + toml_source("later", "http://127.0.0.1:1/later/", r"/later/\d+\.html"),
        encoding="utf-8",
    )
    return path


def last_run(url: str) -> Run:
    with Session(db.get_engine(url)) as session:
        return session.execute(sa.select(Run).where(Run.kind == "crawl").order_by(Run.id.desc())).scalars().first()


@pytest.mark.slow
def test_a_crawl_whose_sources_fail_is_partial_or_failed_and_exits_1(database_url: str, sources: Path) -> None:
    some = aidnews("crawl", "--sources", str(sources), "--only", "county", "--only", "dead", url=database_url)
    assert some.returncode == 1, some.stderr
    assert "partial" in some.stderr and "dead: nothing fetched" in some.stderr and "Traceback" not in some.stderr
    run = last_run(database_url)
    assert run.status == "partial" and "1 of 2 sources failed" in (run.error or "")
    per_source = run.counts["by_source"]  # one table per source: the spider's counts and the pipeline's
    assert "sources" not in run.counts and set(per_source) == {"county", "dead"}
    assert per_source["county"]["responses"] > 0 and per_source["county"]["pages_stored"] > 0
    assert per_source["dead"]["errors"] > 0 and not per_source["dead"].get("responses")

    every = aidnews("crawl", "--sources", str(sources), "--only", "dead", "--only", "gone", url=database_url)
    assert every.returncode == 1
    run = last_run(database_url)
    assert run.status == "failed"
    assert (run.error or "").splitlines()[0] == "every source failed"
    assert {line.split(":")[0] for line in (run.error or "").splitlines()[1:]} == {"dead", "gone"}

    fine = aidnews("crawl", "--sources", str(sources), "--only", "county", url=database_url)
    assert fine.returncode == 0, fine.stderr
    assert last_run(database_url).status == "ok"

    status = json.loads(aidnews("status", "--format", "json", "--sources", str(sources), url=database_url).stdout)
    health = {s["source"]: s for s in status["sources"]}
    assert set(health) == {"county", "dead", "gone", "later"}  # configured ones too, crawled or not
    assert health["county"]["last_crawl"] == "ok" and health["county"]["last_success"]
    assert health["dead"]["last_crawl"] == "failed" and health["dead"]["last_success"] is None
    assert "refused" in health["dead"]["last_error"].lower()
    assert health["dead"]["last_errors"][0]["url"].startswith("http://127.0.0.1:1/")
    assert any("no crawl ever did" in w for w in health["dead"]["warnings"])
    assert health["later"]["last_crawl"] == "never" and "never crawled" in health["later"]["warnings"]
    assert sum(s["pages"] for s in status["sources"]) == status["pages"]  # the sources add up to the total
    table = aidnews("status", "--sources", str(sources), url=database_url)
    assert "warning" in table.stdout and "dead" in table.stdout and "never crawled: later" in table.stdout


@pytest.mark.slow
def test_run_once_exits_1_when_every_source_fails(database_url: str, sources: Path, tmp_path: Path) -> None:
    dead_only = tmp_path / "dead.toml"
    dead_only.write_text(toml_source("dead", "http://127.0.0.1:1/news/", r"/news/\d+\.html"), encoding="utf-8")
    result = aidnews("run-once", "--sources", str(dead_only), url=database_url)
    assert result.returncode == 1
    assert "crawl run" in result.stderr and "failed" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_etl_counts_are_what_is_stored(database_url: str) -> None:
    first = aidnews("run-once", "--demo", url=database_url)
    assert first.returncode == 0, first.stderr
    again = aidnews("etl", "--reprocess", "--batch-size", "7", url=database_url)  # copies land in other batches
    assert again.returncode == 0, again.stderr
    engine = db.get_engine(database_url)
    with engine.connect() as conn:
        stored = {
            name: conn.execute(sa.text(sql)).scalar_one()
            for name, sql in (
                ("articles", "SELECT count(*) FROM article"),
                ("metrics", "SELECT count(*) FROM metric"),
                ("duplicates", "SELECT count(*) FROM article WHERE duplicate_of IS NOT NULL"),
            )
        }
        runs = [
            json.loads(c) if isinstance(c, str) else c
            for (c,) in conn.execute(sa.text("SELECT counts FROM run WHERE kind = 'etl' ORDER BY id"))
        ]
    done_pages = runs[0]["pages"] - runs[0].get("skipped", 0) - runs[0].get("errors", 0)
    assert done_pages > stored["articles"]  # the demo has two pages with one canonical URL: one article
    for counts in runs:  # the first pass and the reprocess both say what the database holds
        assert {k: counts[k] for k in stored} == stored


def test_status_warns_of_a_garbled_source_and_counts_every_page(database_url: str) -> None:
    engine = db.get_engine(database_url)
    with Session(engine) as session:
        for name, garbled in (("often", 3), ("rarely", 1)):
            for i in range(10):
                page = Page(
                    url=f"http://{name}/{i}",
                    final_url=f"http://{name}/{i}",
                    source_name=name,
                    status=200,
                    body=zlib.compress(b"x"),
                    sha256=f"{name}{i}",
                    etl_status="done",
                )
                session.add(page)
                session.commit()
                session.add(
                    Article(
                        url=page.url,
                        canonical_url=page.url,
                        content_hash=page.sha256,
                        page_id=page.id,
                        source_name=name,
                        garbled_found=2 if i < garbled else 0,
                        garbled_repaired=1 if i < garbled else 0,
                    )
                )
            session.add(
                Page(
                    url=f"http://{name}/list",
                    final_url=f"http://{name}/list",
                    source_name=name,
                    kind="list",
                    status=200,
                    body=zlib.compress(b"x"),
                    sha256=f"{name}-list",
                    etl_status="skipped",
                )
            )
        session.add(
            Page(
                url="http://nowhere/",
                final_url="http://nowhere/",
                source_name=None,
                status=200,
                body=zlib.compress(b"x"),
                sha256="none",
                etl_status="pending",
            )
        )
        session.commit()
        info = query.status(session)
    health = {s["source"]: s for s in info["sources"]}
    assert any(
        "30% of its articles came with garbled characters (3 repaired)" in w for w in health["often"]["warnings"]
    )
    assert not any("garbled" in w for w in health["rarely"]["warnings"])
    assert health["often"]["pages"] == 11 and health[UNNAMED_SOURCE]["pages"] == 1
    assert sum(s["pages"] for s in info["sources"]) == info["pages"] == 23


def test_a_database_the_service_cannot_open_is_one_line_in_the_configured_zone(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[settings]\ntimezone = "Europe/London"\n\n'
        + toml_source("dead", "http://127.0.0.1:1/news/", r"/news/\d+\.html"),
        encoding="utf-8",
    )
    result = aidnews("serve", "--sources", str(path), url="postgresql+psycopg://nobody@127.0.0.1:1/none", timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 2, result.stderr  # the JSON log line and the `error:` line
    logged = json.loads(lines[0])
    assert logged["level"] == "error" and "cannot open the database" in logged["message"]
    assert logged["time"].endswith("+00:00")  # London in winter or +01:00 in summer: the configured zone
    assert lines[1].startswith("error: cannot open the database postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = aidnews("demo-site", "--port", str(port), url=f"sqlite:///{tmp_path / 'x.db'}", timeout=60)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        f"error: cannot serve the demo portal on 127.0.0.1:{port}: Address already in use (choose another with --port)"
    ]
    assert result.stdout == ""  # nothing announced that is not served


def test_help_shows_no_bool_metavar_cites_no_missing_document_and_names_the_database() -> None:
    import re

    from typer.main import get_command

    from aidnews.cli import app

    def walk(command, path):  # noqa: ANN001, ANN202
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100")
    seen = []
    for path, _command in walk(get_command(app), []):
        result = subprocess.run(
            [sys.executable, "-m", "aidnews", *path, "--help"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, path
        assert "<bool>" not in result.stdout, path
        for document in re.findall(r"[\w./-]+\.md\b", result.stdout):
            assert (ROOT / document).exists() or (ROOT / "docs" / document).exists(), (path, document)
        seen.append(result.stdout)
    assert "DATABASE_URL" in seen[0]
    crawl_help = next(text for text in seen if "Usage: aidnews crawl" in text)
    assert "--only" in crawl_help and "-s," not in crawl_help and "--sources" in crawl_help
