"""The analysts' views (v_articles, v_metrics, v_funding_totals) and the queries in docs/querying.md, on both databases.

Rows are written with the models, so each expected figure below follows from the rows by hand; the same
assertions run on SQLite and PostgreSQL, which is what "same semantics on both" means here.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session
from stored import places, store_article

from etl.store import engine as db

ROOT = Path(__file__).resolve().parents[2]
QUERYING_DOC = ROOT / "docs" / "querying.md"
VIEWS = ("v_articles", "v_metrics", "v_funding_totals")


def _article(
    session: Session,
    key: str,
    published: datetime | None,
    provider: tuple[str | None, str | None],
    recipient: tuple[str | None, str | None, str | None],
    metrics: list[tuple[str, float, str, str, str]],
    duplicate_of: int | None = None,
    program: str = "援疆",
) -> int:
    return store_article(
        session,
        [
            {
                "text": text,
                "start": i * 10,
                "end": i * 10 + len(text),
                "sentence": f"投入{text}。",
                "value": value,
                "unit": unit,
                "category": category,
                "qualifier": qualifier,
                "money_kind": "aid_funding" if (unit, category) == ("CNY", "funding") else None,
            }
            for i, (text, value, unit, category, qualifier) in enumerate(metrics)
        ],
        url=f"http://example.test/{key}",
        canonical_url=f"http://example.test/{key}",
        content_hash=key,
        title=f"标题{key}",
        body=f"正文{key}",
        published_at=published,
        program=program,
        **places(provider, recipient),
        duplicate_of=duplicate_of,
        source_name="demo-a",
        news_source="新疆日报",
    )


@pytest.fixture
def filled(database_url: str) -> Iterator[sa.Engine]:
    engine = db.get_engine(database_url)
    shandong, guangzhou = ("山东省", None), ("广东省", "广州市")
    kashgar = ("新疆维吾尔自治区", "喀什地区", "疏勒县")
    hotan = ("新疆维吾尔自治区", "和田地区", None)
    with Session(engine) as session:
        first = _article(
            session,
            "1",
            datetime(2022, 6, 1, 2, tzinfo=UTC),
            shandong,
            kashgar,
            [
                ("420余万元", 4.2e6, "CNY", "funding", "over"),
                ("40名", 40, "person", "personnel", "exact"),
                ("3亿元", 3e8, "CNY", "investment", "exact"),  # money, but not aid funding
            ],
        )
        # 17:30 UTC on New Year's Eve is already 2024 in Beijing: the year is the local one.
        _article(
            session,
            "2",
            datetime(2023, 12, 31, 17, 30, tzinfo=UTC),
            shandong,
            kashgar,
            [
                ("1亿元", 1e8, "CNY", "funding", "exact"),
            ],
        )
        _article(
            session,
            "3",
            datetime(2024, 3, 5, tzinfo=UTC),
            shandong,
            kashgar,
            [
                ("5000万元", 5e7, "CNY", "funding", "exact"),
                ("2000万元", 2e7, "CNY", "funding", "exact"),
            ],
        )
        _article(
            session,
            "4",
            datetime(2023, 5, 5, tzinfo=UTC),
            guangzhou,
            hotan,
            [
                ("1200万元", 1.2e7, "CNY", "funding", "exact"),
                ("30万公斤", 3e5, "kg", "funding", "exact"),  # a wrongly tagged quantity: never added to yuan
            ],
            program="对口支援",
        )
        _article(
            session,
            "copy-of-1",
            datetime(2022, 6, 2, tzinfo=UTC),
            shandong,
            kashgar,
            [
                ("420余万元", 4.2e6, "CNY", "funding", "over"),
            ],
            duplicate_of=first,
        )
        _article(session, "undated", None, (None, None), hotan, [("80万元", 8e5, "CNY", "funding", "about")])
    yield engine


def _rows(engine: sa.Engine, sql: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql))]


def test_migration_creates_the_three_views(database_url: str) -> None:
    engine = db.get_engine(database_url)
    assert set(VIEWS) <= set(sa.inspect(engine).get_view_names())


def test_v_articles_holds_primary_articles_with_their_entities_and_local_dates(filled: sa.Engine) -> None:
    rows = {r["title"]: r for r in _rows(filled, "SELECT * FROM v_articles")}
    assert set(rows) == {"标题1", "标题2", "标题3", "标题4", "标题undated"}  # the copy is left out
    first = rows["标题1"]
    assert (first["provider_province"], first["recipient_prefecture"], first["recipient_county"]) == (
        "山东省",
        "喀什地区",
        "疏勒县",
    )
    assert first["metrics"] == 3 and first["copies"] == 1 and first["body"] == "正文1"
    assert (rows["标题2"]["published_date"], rows["标题2"]["published_year"]) == ("2024-01-01", 2024)
    assert rows["标题undated"]["published_year"] is None and rows["标题undated"]["published_date"] is None


def test_v_metrics_gives_each_figure_its_article_context(filled: sa.Engine) -> None:
    rows = _rows(filled, "SELECT * FROM v_metrics ORDER BY id")
    assert len(rows) == 10  # every metric, the copy's included, marked by duplicate_of
    copy = [r for r in rows if r["duplicate_of"] is not None]
    assert len(copy) == 1 and copy[0]["title"] == "标题copy-of-1"
    kg = next(r for r in rows if r["unit"] == "kg")
    assert (kg["title"], kg["program"], kg["provider_prefecture"], kg["recipient_prefecture"]) == (
        "标题4",
        "对口支援",
        "广州市",
        "和田地区",
    )
    assert kg["url"] == "http://example.test/4" and kg["source_name"] == "demo-a" and kg["news_source"] == "新疆日报"
    assert kg["published_year"] == 2023 and kg["sentence"] == "投入30万公斤。"


def test_v_funding_totals_adds_only_aid_funding_in_yuan_over_primary_articles_per_local_year(filled: sa.Engine) -> None:
    rows = _rows(filled, "SELECT * FROM v_funding_totals")
    got = {
        (r["provider_province"], r["recipient_prefecture"], r["year"]): (
            float(r["total_cny"]),
            r["mentions"],
            r["articles"],
            r["approximate_mentions"],
        )
        for r in rows
    }
    assert got == {
        ("山东省", "喀什地区", 2022): (4.2e6, 1, 1, 1),  # the copy is not counted again; 3亿元 is investment
        ("山东省", "喀什地区", 2024): (1e8 + 5e7 + 2e7, 3, 2, 0),  # Beijing year of 2023-12-31 17:30 UTC
        ("广东省", "和田地区", 2023): (1.2e7, 1, 1, 0),  # the kilograms are left out
        (None, "和田地区", None): (8e5, 1, 1, 1),
    }


def _doc_queries() -> list[str]:
    if not QUERYING_DOC.exists():
        pytest.fail(f"{QUERYING_DOC} is missing")
    return re.findall(r"```sql\n(.*?)```", QUERYING_DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_documented_example_queries_run_and_answer(filled: sa.Engine) -> None:
    queries = _doc_queries()
    assert len(queries) >= 3
    for sql in queries:
        rows = _rows(filled, sql)
        assert rows, f"no rows from the documented query:\n{sql}"


def _views_migration() -> ModuleType:
    [path] = (ROOT / "etl" / "migrations" / "versions").glob("*_views.py")
    spec = importlib.util.spec_from_file_location("views_migration", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_views_migration_downgrades_and_upgrades_again(filled: sa.Engine) -> None:
    migration = _views_migration()
    with filled.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.downgrade()
    assert not set(VIEWS) & set(sa.inspect(filled).get_view_names())
    with filled.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.upgrade()
    assert len(_rows(filled, "SELECT * FROM v_funding_totals")) == 4
