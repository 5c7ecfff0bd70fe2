"""What the CLI prints from a database: crawled text inert, CSV safe, tables fitted, limits checked, one zone.

Every command runs as a user runs it (`python -m aidnews` in a subprocess, COLUMNS setting the width), on both
databases, against articles whose text a hostile page could have supplied.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.cells import cell_len
from sqlmodel import Session
from stored import store_article

from etl.store import engine as db

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ESCAPES = ("\x1b[2J", "\x1b[31m", "\x1b]8;;http://evil.example/\x1b\\", "\x07", "\x9b", "\u202e")
HOSTILE_TITLE = (
    "援疆 [/] [bold]加粗[/bold] \x1b[2J\x1b[31m红\x1b[0m "
    "\x1b]8;;http://evil.example/\x1b\\链接\x1b]8;;\x1b\\ \x07\x9b\u202e"
)
FORMULA_TITLES = [
    '=HYPERLINK("http://evil.example/","援疆")',
    "+1+1 援疆",
    "-2+3 援疆",
    "@SUM(1) 援疆",
    "\t=1+1 援疆",
    "\r=1+1 援疆",
]


def aidnews(
    *args: str, url: str, cwd: Path = ROOT, columns: int = 80, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        PYTHONPATH=str(ROOT),
        PYTHONIOENCODING="utf-8",
        COLUMNS=str(columns),
        **(extra_env or {}),
    )
    env.pop("AIDNEWS_SOURCES", None)
    return subprocess.run(
        [sys.executable, "-m", "aidnews", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def add_article(session: Session, n: int, title: str, figures: list[tuple[str, float, str, str, str]]) -> int:
    return store_article(
        session,
        [
            {
                "text": text,
                "start": i,
                "end": i + len(text),
                "value": value,
                "unit": unit,
                "category": category,
                "subject": subject,
                "sentence": f"{subject}{text}。{title}",
            }
            for i, (text, value, unit, category, subject) in enumerate(figures)
        ],
        url=f"http://s/{n}",
        canonical_url=f"http://s/{n}",
        content_hash=f"h{n}",
        title=title,
        body=f"正文 {title}",
        published_at=datetime(2024, 3, n % 28 + 1, 2, 30, tzinfo=UTC),
        program="援疆",
        source_name="s",
        recipient_province="新疆维吾尔自治区",
        recipient_prefecture="喀什地区",
        recipient_county="疏附县",
    )


@pytest.fixture
def hostile(database_url: str) -> str:
    with Session(db.get_engine(database_url)) as session:
        add_article(
            session,
            1,
            HOSTILE_TITLE,
            [
                ("0.125亿元", 12_500_000, "CNY", "funding", HOSTILE_TITLE),
                ("12.5%", 12.5, "percent", "duration", "[/]比例"),
            ],
        )
        for n, title in enumerate(FORMULA_TITLES, start=2):
            add_article(session, n, title, [("3人", 3, "person", "personnel", "=干部")])
    return database_url


def test_markup_and_escape_sequences_in_crawled_text_print_as_text(hostile: str) -> None:
    for args in (
        ["articles"],
        ["articles", "--wide"],
        ["metrics"],
        ["metrics", "--wide"],
        ["metrics", "--group-by", "recipient", "--evidence", "2"],
    ):
        result = aidnews(*args, url=hostile, columns=200)
        assert result.returncode == 0, (args, result.stderr)
        out = result.stdout
        for sequence in ESCAPES:
            assert sequence not in out, (args, repr(sequence))
        assert "MarkupError" not in result.stderr
    table = aidnews("articles", "--wide", url=hostile, columns=200).stdout
    assert "[/] [bold]加粗[/bold]" in table  # printed as written, not read as styling
    assert "\\x1b[2J" in table and "\\x1b]8;;http://evil.example/" in table  # visible, not run
    evidence = aidnews("metrics", "--group-by", "recipient", "--evidence", "2", url=hostile, columns=200).stdout
    assert "[/]比例" in evidence or "[bold]加粗[/bold]" in evidence


def test_json_keeps_crawled_text_exactly(hostile: str) -> None:
    rows = [json.loads(line) for line in aidnews("articles", "--format", "json", url=hostile).stdout.splitlines()]
    assert HOSTILE_TITLE in {r["title"] for r in rows}  # JSON escapes control characters itself


def test_csv_export_quotes_every_formula_start(hostile: str, tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    result = aidnews("export", "articles", "-o", str(out), url=hostile)
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig", newline="") as fh:
        titles = {row["title"] for row in csv.DictReader(fh)}
    for title in FORMULA_TITLES:
        assert "'" + title in titles and title not in titles
    metrics_csv = tmp_path / "metrics.csv"
    assert aidnews("export", "metrics", "-o", str(metrics_csv), url=hostile).returncode == 0
    with metrics_csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["subject"] for r in rows} >= {"'=干部"}
    assert all((r[k] or " ")[0] not in "=+-@\t\r" for r in rows for k in r)


@pytest.mark.parametrize("columns", [80, 120])
def test_tables_fit_the_terminal_one_line_per_row(hostile: str, columns: int) -> None:
    for args in (["articles"], ["metrics"]):
        result = aidnews(*args, url=hostile, columns=columns)
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        assert all(cell_len(line.rstrip()) <= columns for line in lines), (args, columns)
        rows = [line for line in lines[2:] if line.strip()[:1].isdigit()]
        assert len(rows) == (7 if args == ["articles"] else 8), result.stdout  # one line each
    figures = aidnews("metrics", url=hostile, columns=80).stdout
    assert "0.125亿元" in figures and "12,500,000" in figures and "12.5" in figures
    assert "durati\non" not in figures and "duration" in figures


def test_a_listing_says_how_many_it_leaves_out(hostile: str) -> None:
    result = aidnews("articles", "--limit", "3", url=hostile)
    assert "showing 3 of 7 (use --limit)" in result.stderr
    assert "showing" not in aidnews("articles", url=hostile).stderr
    assert "showing 2 of 8" in aidnews("metrics", "--limit", "2", url=hostile).stderr


def test_times_show_in_the_configured_zone(hostile: str, tmp_path: Path) -> None:
    default = aidnews("articles", "--format", "json", url=hostile, cwd=tmp_path).stdout
    assert all(json.loads(line)["published_at"].endswith("+08:00") for line in default.splitlines())
    (tmp_path / "sources.toml").write_text('[settings]\ntimezone = "Europe/London"\n', encoding="utf-8")
    london = aidnews("articles", "--format", "json", url=hostile, cwd=tmp_path).stdout
    assert {json.loads(line)["published_at"][-6:] for line in london.splitlines()} == {"+00:00"}
    table = aidnews("articles", "--wide", url=hostile, cwd=tmp_path, columns=200).stdout
    assert "02:30" in table  # 02:30 UTC shown as London's 02:30, not Shanghai's 10:30


@pytest.mark.parametrize(
    "args",
    [
        ["articles", "--limit", "99999999999999999999"],
        ["metrics", "--limit", "99999999999999999999"],
        ["metrics", "--article", "99999999999999999999"],
        ["articles", "--limit", "0"],
        ["metrics", "--evidence", "-1", "--group-by", "program"],
        ["metrics", "--group-by", "[/]"],
        ["metrics", "--group-by", "[bold]x[/bold]"],
        ["etl", "--batch-size", "0"],
        ["demo-site", "--port", "70000"],
    ],
)
def test_a_bad_option_value_is_one_line_and_exit_2(hostile: str, args: list[str]) -> None:
    result = aidnews(*args, url=hostile)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    if "--group-by" in args and "program" not in args:
        assert args[-1] in lines[0] and "provider, recipient" in lines[0]  # the value as given, and the valid ones


def test_verbose_adds_the_traceback(tmp_path: Path) -> None:
    dead = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    quiet = aidnews("articles", url=dead)
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    assert len([line for line in quiet.stderr.splitlines() if line.strip()]) == 1
    loud = aidnews("-v", "articles", url=dead)
    assert loud.returncode == 2 and "Traceback" in loud.stderr and "cannot open the database" in loud.stderr
