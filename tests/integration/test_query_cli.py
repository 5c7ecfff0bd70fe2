"""`aidnews articles`, `article`, `metrics` and `export` as a user runs them, on SQLite and PostgreSQL.

Exit codes follow the convention: 0 for results and for an empty result, 2 for a value that names nothing
(with the valid ones listed), 1 for an article id that does not exist.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from aidnews.cli import app
from etl.store import engine as db
from etl.store import search
from etl.store.models import Article, Metric

pytestmark = pytest.mark.integration

BODY = "广州援疆干部来到疏附县，投入援疆资金1200万元建设学校。"
ORIGINAL = "廣州援疆幹部來到疏附縣，投入援疆資金1200萬元建設學校。"


@pytest.fixture(autouse=True)
def engine_of_this_test() -> Iterator[None]:
    """The CLI's `get_engine()` is cached under no URL, once per process: drop it so that it reads this test's
    DATABASE_URL, and again afterwards so that no later test inherits this one's database."""
    db.reset_engines()
    yield
    db.reset_engines()


@pytest.fixture
def stored(database_url: str) -> Iterator[dict[str, int]]:
    with Session(db.get_engine(database_url)) as session:
        first = Article(
            url="http://example.test/1",
            canonical_url="http://example.test/1",
            content_hash="1",
            title="广州援疆助力疏附教育",
            body=BODY,
            body_original=ORIGINAL,
            program="援疆",
            provider_province="广东省",
            provider_prefecture="广州市",
            recipient_province="新疆维吾尔自治区",
            recipient_prefecture="喀什地区",
            recipient_county="疏附县",
            source_name="demo-county",
            script="Hant",
            published_at=datetime(2023, 3, 1, 2, tzinfo=UTC),
            garbled_found=2,
            garbled_repaired=1,
        )
        session.add(first)
        session.commit()
        copy = Article(
            url="http://example.test/2",
            canonical_url="http://example.test/2",
            content_hash="2",
            title="广州援疆助力疏附教育（转载）",
            body=BODY,
            program="援疆",
            source_name="demo-hq",
            recipient_province="新疆维吾尔自治区",
            duplicate_of=first.id,
            published_at=datetime(2023, 3, 2, tzinfo=UTC),
        )
        session.add(copy)
        session.commit()
        session.add(
            Metric(
                article_id=first.id,
                text="1200万元",
                start=17,
                end=23,
                sentence=BODY,
                value=1.2e7,
                unit="CNY",
                category="funding",
                money_kind="aid_funding",
                subject="援疆资金",
            )
        )
        session.commit()
        assert first.id is not None and copy.id is not None
        yield {"first": first.id, "copy": copy.id}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output + result.stderr, result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_value_that_names_nothing_is_a_usage_error_listing_the_valid_ones(stored: dict[str, int]) -> None:
    code, out, err = run("articles", "--program", "支援")
    assert code == 2 and out == ""
    assert "unknown program '支援'" in err and "援疆, 援藏, 援青, 东西部协作" in err
    code, _, err = run("metrics", "--category", "fundng")
    assert code == 2 and "funding" in err
    code, _, err = run("articles", "--source", "nowhere")
    assert code == 2 and "demo-county, demo-hq" in " ".join(err.split())
    code, _, err = run("articles", "--since", "last week")
    assert code == 2 and "YYYY-MM-DD" in err


def test_a_valid_filter_without_a_match_says_so_and_exits_0(stored: dict[str, int]) -> None:
    code, out, err = run("articles", "--program", "援藏", "--since", "2023")
    assert code == 0 and out == ""
    assert "no article matches: program 援藏, since 2023" in " ".join(err.split())
    code, out, err = run("metrics", "--recipient", "和田", "-f", "json")
    assert code == 0 and out == "" and "no figure matches: recipient 和田" in err


def test_an_empty_database_says_nothing_is_stored(database_url: str) -> None:
    code, out, err = run("articles", "--program", "援疆")
    assert code == 0 and "nothing stored yet" in err


def test_search_ranks_and_copies_are_hidden_unless_asked_for(stored: dict[str, int]) -> None:
    code, out, _ = run("articles", "--q", "援疆幹部", "-f", "json")
    found = lines(out)
    assert code == 0 and [r["id"] for r in found] == [stored["first"]]
    assert "«援疆干部»" in found[0]["snippet"] and found[0]["score"] > 0
    shown = lines(run("articles", "--q", "援疆干部", "--duplicates", "-f", "json")[1])
    assert {r["id"]: r["duplicate_of"] for r in shown} == {stored["first"]: None, stored["copy"]: stored["first"]}
    code, out, _ = run("articles", "--duplicates")
    assert code == 0 and "copy of" in out  # the column header, as tables print names
    marked = [line.split() for line in out.splitlines() if line.split()[:1] == [str(stored["copy"])]]
    assert marked and marked[0][1] == str(stored["first"])  # the copy's row names the article it copies


def test_a_search_past_the_ranking_bound_says_so(stored: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "RANKED", {"sqlite": 1, "postgresql": 1})
    code, out, err = run("articles", "--q", "援疆", "--duplicates")  # both articles hold it
    said = " ".join(err.split())
    assert code == 0 and str(stored["copy"]) in out
    assert "showing 1 of more than 1 matches, ranked among the 1 most recently stored" in said
    code, out, err = run("articles", "--q", "疏勒县")  # no article holds it: said, exit 0
    assert code == 0 and out == "" and "no article matches: search 疏勒县" in " ".join(err.split())


def test_article_shows_one_article_whole(stored: dict[str, int]) -> None:
    code, out, _ = run("article", str(stored["first"]))
    flat = "".join(out.split())
    assert code == 0
    assert "".join(BODY.split()) in flat and "1200万元" in flat and "http://example.test/1" in flat
    assert "copiedasarticle" in flat and "2garbledcharactersfound,1repaired" in flat
    assert "".join(ORIGINAL.split()) in "".join(run("article", str(stored["first"]), "--original")[1].split())
    whole = json.loads(run("article", str(stored["first"]), "-f", "json")[1])
    assert whole["body"] == BODY and whole["body_original"] == ORIGINAL
    assert whole["figures"][0]["sentence"] == BODY and whole["quality"]["copies"] == [stored["copy"]]
    code, _, err = run("article", "999999")
    assert code == 1 and "no article 999999" in err


def test_exports_carry_bodies_in_every_format(stored: dict[str, int], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    code, _, err = run("export", "articles", "-o", str(tmp_path / "a.csv"))
    assert code == 0 and "2 articles written" in err
    assert (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with (tmp_path / "a.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = {int(r["id"]): r for r in csv.DictReader(fh)}
    assert rows[stored["first"]]["body"] == BODY and rows[stored["first"]]["body_original"] == ORIGINAL
    assert rows[stored["copy"]]["duplicate_of"] == str(stored["first"])

    assert run("export", "articles", "-o", str(tmp_path / "a.jsonl"), "--primary-only")[0] == 0
    assert [r["id"] for r in lines((tmp_path / "a.jsonl").read_text("utf-8"))] == [stored["first"]]

    assert (
        run("export", "articles", "-o", str(tmp_path / "a.out"), "--format", "parquet", "--recipient", "疏附")[0] == 0
    )
    table = pq.read_table(tmp_path / "a.out")
    assert table.column("body").to_pylist() == [BODY] and table.column("id").to_pylist() == [stored["first"]]
    published = table.column("published_at").to_pylist()[0]
    assert published.isoformat() == "2023-03-01T10:00:00+08:00"

    assert run("export", "metrics", "-o", str(tmp_path / "m.parquet"), "--category", "funding")[0] == 0
    metrics = pq.read_table(tmp_path / "m.parquet").to_pylist()
    assert [(m["text"], float(m["value"]), m["sentence"]) for m in metrics] == [("1200万元", 1.2e7, BODY)]
    code, _, err = run("export", "metrics", "-o", str(tmp_path / "m.xlsx"))
    assert code == 2 and "csv, jsonl, parquet" in err
