"""`aidnews report`: the figures it shows (on both databases), its refusals, and how it renders in Chromium.

The rendering test opens the written file in headless Chromium (Debian's package): no console message may
appear, every chart must have drawn marks, and each chart's box in a screenshot must hold the chart's colour —
a blank or failed chart would leave the box the page's white.
"""

from __future__ import annotations

import os
import re
import subprocess
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from stored import places, store_article
from typer.testing import CliRunner

from aidnews.cli import app
from etl import report
from etl.store import engine as db
from etl.store.models import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--force-device-scale-factor=1",
    "--hide-scrollbars",
]
WINDOW_WIDTH = 1200
CHARTS = ("provider", "recipient", "articles", "funding", "categories", "outlets", "pages")
COLOUR_TOLERANCE = 24  # per channel: anti-aliased edges drift from the fill colour, the bars' insides do not
MIN_COLOURED_PIXELS = 400  # a drawn chart has thousands; an empty box none


def _article(
    session: Session,
    key: str,
    published: datetime | None,
    metrics: list[tuple[float, str, str]],
    provider: tuple[str | None, str | None] = (None, None),
    recipient: tuple[str | None, str | None, str | None] = (None, None, None),
    outlet: str | None = None,
    source: str = "demo-a",
    duplicate_of: int | None = None,
    garbled: tuple[int, int] = (0, 0),
) -> int:
    return store_article(
        session,
        [
            {
                "text": f"数字{i}",
                "start": i,
                "end": i + 1,
                "sentence": "句子。",
                "value": value,
                "unit": unit,
                "category": category,
                "money_kind": "aid_funding" if (unit, category) == ("CNY", "funding") else None,
            }
            for i, (value, unit, category) in enumerate(metrics)
        ],
        url=f"http://example.test/{key}",
        canonical_url=f"http://example.test/{key}",
        content_hash=key,
        title=f"文章{key}",
        published_at=published,
        source_name=source,
        **places(provider, recipient),
        news_source=outlet,
        duplicate_of=duplicate_of,
        garbled_found=garbled[0],
        garbled_repaired=garbled[1],
    )


def fill(url: str) -> None:
    """Seven articles (one a copy, one undated, one with no places) and thirteen pages, all figures by hand."""
    xinjiang, tibet = "新疆维吾尔自治区", "西藏自治区"
    with Session(db.get_engine(url)) as session:
        _article(
            session,
            "1",
            datetime(2023, 1, 10, tzinfo=UTC),
            [(4.2e6, "CNY", "funding"), (40, "person", "personnel")],
            ("山东省", None),
            (xinjiang, "喀什地区", "疏勒县"),
            "新疆日报",
        )
        # 17:00 UTC on 31 January is 1 February in Beijing.
        _article(
            session,
            "2",
            datetime(2023, 1, 31, 17, tzinfo=UTC),
            [(1e8, "CNY", "funding"), (3e8, "CNY", "investment")],
            ("山东省", None),
            (xinjiang, "喀什地区", None),
            "新疆日报",
        )
        _article(
            session,
            "3",
            datetime(2023, 3, 5, tzinfo=UTC),
            [(5e7, "CNY", "funding"), (3e5, "kg", "funding")],
            ("广东省", "广州市"),
            (xinjiang, "喀什地区", "疏附县"),
            "新疆日报",
        )
        original = _article(
            session,
            "4",
            datetime(2023, 5, 20, tzinfo=UTC),
            [(2e8, "CNY", "funding"), (500, "person", "jobs")],
            ("上海市", None),
            (tibet, "日喀则市", None),
            "西藏日报",
        )
        _article(
            session,
            "4-copy",
            datetime(2023, 5, 21, tzinfo=UTC),
            [(2e8, "CNY", "funding")],
            ("上海市", None),
            (tibet, "日喀则市", None),
            "西藏日报",
            duplicate_of=original,
        )
        _article(
            session,
            "6",
            None,
            [(8e5, "CNY", "funding")],
            (None, None),
            (xinjiang, "和田地区", None),
            "和田日报",
            source="demo-b",
            garbled=(3, 2),
        )
        _article(
            session,
            "7",
            datetime(2023, 5, 2, tzinfo=UTC),
            [(30, "person", "training")],
            source="demo-b",
            garbled=(1, 1),
        )
        for i, (source, state) in enumerate(
            [("demo-a", "done")] * 5
            + [("demo-a", "error")]
            + [("demo-a", "pending")] * 2
            + [("demo-b", "skipped")] * 3
            + [("demo-b", "done")] * 2
        ):
            session.add(
                Page(
                    url=f"http://example.test/p{i}",
                    final_url=f"http://example.test/p{i}",
                    source_name=source,
                    status=200,
                    body=zlib.compress(b"<html></html>"),
                    sha256=str(i),
                    etl_status=state,
                )
            )
        session.commit()


def _collect(url: str) -> report.ReportData:
    engine = report.read_only_engine(url)
    try:
        return report.collect(engine, "test")
    finally:
        engine.dispose()


def test_the_report_adds_only_yuan_funding_over_primary_articles_in_beijing_months(database_url: str) -> None:
    fill(database_url)
    data = _collect(database_url)
    assert [(r.label, r.value, r.muted) for r in data.by_provider] == [
        ("上海", 2e8, False),
        ("山东", 1.042e8, False),
        ("广东", 5e7, False),
        ("未识别", 8e5, True),
    ]
    assert [(r.label, r.value) for r in data.by_recipient] == [
        ("西藏·日喀则市", 2e8),
        ("新疆·喀什地区", pytest.approx(1.542e8)),
        ("新疆·和田地区", 8e5),
    ]
    assert data.by_recipient[1].tooltip == "154,200,000 元，3 处，3 篇文章"
    m = data.monthly
    assert m.months == ["2023-01", "2023-02", "2023-03", "2023-04", "2023-05"]
    assert m.articles == [1, 1, 1, 0, 2] and m.funding == [4.2e6, 1e8, 5e7, 0, 2e8]
    assert (m.undated_articles, m.undated_funding) == (1, 8e5)
    assert (data.articles, data.metrics) == (6, 10)
    assert (data.funding_total, data.funding_mentions, data.funding_articles) == (pytest.approx(3.55e8), 5, 5)
    assert [(r.label, r.value) for r in data.categories] == [
        ("帮扶资金 funding", 6),
        ("投资 investment", 1),
        ("就业 jobs", 1),
        ("选派人员 personnel", 1),
        ("培训 training", 1),
    ]
    assert [(r.label, r.value) for r in data.outlets] == [
        ("新疆日报", 3),
        ("和田日报", 1),
        ("未注明来源", 1),
        ("西藏日报", 1),
    ]
    q = data.quality
    assert (q.garbled_found, q.garbled_repaired, q.garbled_articles, q.copies) == (4, 3, 2, 1)
    assert q.pages_by_state == {"done": 7, "error": 1, "pending": 2, "skipped": 3} and q.pages == 13
    assert (q.undated_articles, q.no_recipient_articles) == (1, 1)
    assert data.sources == [report.SourceRow("demo-a", 8, 1, 2, 4, 1, 0), report.SourceRow("demo-b", 5, 0, 0, 2, 0, 2)]


def test_the_report_reads_through_a_connection_that_cannot_write(database_url: str) -> None:
    engine = report.read_only_engine(database_url)
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="(?i)read-?only"):
            conn.execute(sa.text("DELETE FROM metric"))
    finally:
        engine.dispose()


def test_an_empty_database_gives_a_report_that_says_so(sqlite_url: str, tmp_path: Path) -> None:
    summary = report.write_report(sqlite_url, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert (summary.articles, summary.charts) == (0, 0)
    assert "尚无帮扶资金数据" in html and "尚无带发布日期的文章" in html and "<figure" not in html


def test_the_command_writes_the_file_and_refuses_a_missing_database(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(sqlite_url)
    out = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(app, ["report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count('<figure data-chart="') == len(CHARTS)
    missing = tmp_path / "elsewhere" / "aidnews.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and f"no aidnews database at {missing}" in result.output.replace("\n", "")
    assert not missing.parent.exists() and not (tmp_path / "x.html").exists()


def test_an_unreachable_server_is_one_line_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/aidnews")
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "cannot read the database" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "r.html").exists()


# -- rendering in Chromium ----------------------------------------------------------------------------------------


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (.ci/run installs Debian's chromium package)")
        pytest.skip(f"{CHROMIUM} is absent: apt-get install chromium to run the rendering test")
    return CHROMIUM


def _run_chromium(chromium: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(chromium), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _coloured_pixels(image: Any, box: tuple[int, int, int, int], colour: tuple[int, int, int]) -> int:
    region = image.crop(box).convert("RGB")
    return sum(
        n
        for n, pixel in region.getcolors(maxcolors=region.width * region.height)
        if all(abs(a - b) <= COLOUR_TOLERANCE for a, b in zip(pixel, colour, strict=True))
    )


@pytest.mark.slow
def test_every_chart_draws_in_headless_chromium_without_console_errors(
    sqlite_url: str, tmp_path: Path, chromium: Path
) -> None:
    pil = pytest.importorskip("PIL.Image", reason="Pillow (the dev extra) reads the screenshot")
    fill(sqlite_url)
    page = tmp_path / "report.html"
    report.write_report(sqlite_url, page)

    dumped = _run_chromium(
        chromium,
        tmp_path / "profile",
        f"--window-size={WINDOW_WIDTH},900",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        page.as_uri(),
    )
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    console = [line for line in dumped.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, "console messages:\n" + "\n".join(console)
    body = re.search(r"<body[^>]*>", dumped.stdout)
    assert body, "no DOM was dumped"
    assert re.search(rf'data-charts-drawn="{len(CHARTS)}"', body.group(0)), body.group(0)
    height = int(re.search(r'data-page-height="(\d+)"', body.group(0)).group(1))
    figures = re.findall(
        r'<figure data-chart="(\w+)" data-colour="(#[0-9a-f]{6})" data-box="([\d,.-]+)"', dumped.stdout
    )
    assert [name for name, _, _ in figures] == list(CHARTS)

    shot = tmp_path / "report.png"
    taken = _run_chromium(
        chromium, tmp_path / "profile", f"--window-size={WINDOW_WIDTH},{height}", f"--screenshot={shot}", page.as_uri()
    )
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    image = pil.open(shot)
    assert image.size == (WINDOW_WIDTH, height)
    for name, colour, box in figures:
        x, y, w, h = (int(float(v)) for v in box.split(","))
        assert w > 300 and h > 60, f"{name}: box {box} is too small to be a chart"
        found = _coloured_pixels(image, (x, y, x + w, y + h), _hex_rgb(colour))
        assert found >= MIN_COLOURED_PIXELS, f"{name}: only {found} pixels of {colour} in its box {box}"
    # The check can fail: the margin beside the page column holds none of the charts' colours.
    margin = (WINDOW_WIDTH - 40, 0, WINDOW_WIDTH, height)
    assert all(_coloured_pixels(image, margin, _hex_rgb(c)) == 0 for _, c, _ in figures)
