"""Exact values from the text to the database and out again, and totals that only add like with like.

On both databases: 2.3亿元 is 230000000 exactly in the table, in JSON and in CSV; the migration turns the old
doubles (229999999.99999997) back into the written figures; --category funding adds aid money only; shares
and prices are never summed.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session
from typer.testing import CliRunner

from aidnews.cli import app
from etl import query
from etl.extract import extract
from etl.filters import Filters, resolve
from etl.metrics import extract_metrics, json_number
from etl.metrics.changes import metric_changes
from etl.store import engine as db
from etl.store.articles import ExtractedPage, store_articles
from etl.store.models import Article, Metric, Page

PG_ADMIN_URL = os.environ.get("AIDNEWS_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
EXACT = ["230000000", "465000000", "0.05", "0.8", "12345.6789", "1.5", "0.175", "999999999999.99", "4200000"]
BODY = (
    "投入援疆资金2.3亿元，援建学校4.65亿元。外出务工的儿子每年寄回3万多元，鲜菇每斤能卖到6元左右，"
    "发放扶贫小额贷款500万元。就业率达58.3%，比上年提高2.5个百分点，入学率达到96%。"
)


@pytest.mark.parametrize("text", ["2.3亿元", "4.65亿元", "13.56亿元", "1,234.5万元", "0.8元", "30斤", "1.2万吨"])
def test_values_are_the_written_decimals_scaled_exactly(text: str) -> None:
    metric = extract_metrics(f"投入资金{text}。")[0]
    number = Decimal(text.rstrip("亿万元斤吨").replace(",", ""))
    factor = {"亿元": 10**8, "万元": 10**4, "元": 1, "斤": Decimal("0.5"), "万吨": 10**7}
    expected = number * next(value for unit, value in factor.items() if text.endswith(unit))
    assert metric.value == expected and "E" not in str(metric.value) and not str(metric.value).endswith(".0")


def test_json_numbers_carry_the_decimal_digits_and_nothing_more() -> None:
    assert (
        json.dumps([json_number(Decimal(v)) for v in ("230000000", "0.05", "465000000.0", "0.80")])
        == "[230000000, 0.05, 465000000, 0.8]"
    )


def add_article(session: Session, url: str, recipient: str, metrics: list[Metric]) -> None:
    article = Article(
        url=url,
        canonical_url=url,
        content_hash=url,
        title=url,
        program="援疆",
        published_at=datetime(2024, 6, 1, tzinfo=UTC),
        recipient_province="新疆维吾尔自治区",
        recipient_prefecture=recipient,
    )
    session.add(article)
    session.commit()
    for metric in metrics:
        metric.article_id = article.id
        session.add(metric)
    session.commit()


def stored(metric: object, **changes: object) -> Metric:
    fields = {
        name: getattr(metric, name)
        for name in (
            "text",
            "start",
            "end",
            "sentence",
            "value",
            "value_max",
            "unit",
            "classifier",
            "qualifier",
            "category",
            "subject",
            "money_kind",
        )
    }
    return Metric(**{**fields, **changes})


def test_values_round_trip_exactly(database_url: str) -> None:
    engine = db.get_engine(database_url)
    with Session(engine) as session:
        add_article(
            session,
            "http://a/exact",
            "喀什地区",
            [
                Metric(
                    text=value,
                    start=i,
                    end=i + 1,
                    sentence=value,
                    value=Decimal(value),
                    unit="CNY",
                    category="funding",
                    money_kind="aid_funding",
                )
                for i, value in enumerate(EXACT)
            ],
        )
    with Session(engine) as session:
        values = session.execute(sa.select(Metric.value).order_by(Metric.start)).scalars().all()
    assert [str(value) for value in values] == EXACT


def test_a_body_goes_to_the_table_json_and_csv_exactly(database_url: str, tmp_path: Path) -> None:
    with Session(db.get_engine(database_url)) as session:
        add_article(session, "http://a/body", "喀什地区", [stored(m) for m in extract_metrics(BODY)])
    runner = CliRunner()
    shown = runner.invoke(app, ["metrics", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    rows = {row["text"]: row for row in map(json.loads, shown.stdout.splitlines())}
    assert rows["2.3亿元"]["value"] == 230000000 and rows["4.65亿元"]["value"] == 465000000
    assert '"value": 230000000,' in shown.stdout and "229999999" not in shown.stdout
    table = runner.invoke(app, ["metrics"], env={"COLUMNS": "250"})
    assert "230,000,000" in table.stdout and "465,000,000 " in table.stdout and "465,000,000.00" not in table.stdout
    exported = tmp_path / "metrics.csv"
    assert runner.invoke(app, ["export", "metrics", "-o", str(exported)]).exit_code == 0
    with exported.open(encoding="utf-8-sig") as handle:
        values = {row["text"]: row["value"] for row in csv.DictReader(handle)}
    assert values["2.3亿元"] == "230000000" and values["58.3%"] == "58.3"


def test_funding_totals_hold_aid_money_only_and_shares_and_prices_are_never_summed(database_url: str) -> None:
    with Session(db.get_engine(database_url)) as session:
        add_article(session, "http://a/totals", "喀什地区", [stored(m) for m in extract_metrics(BODY)])
    with Session(db.get_engine(database_url)) as session:
        funding = query.grouped_metrics(session, "recipient", resolve(session, Filters(category="funding")))
        everything = query.grouped_metrics(session, "recipient", resolve(session, Filters()))
    assert [(row["unit"], row["kind"], row["total"]) for row in funding] == [("CNY", "aid_funding", 695000000)]
    by_kind = {(row["unit"], row["kind"]): row for row in everything}
    assert by_kind[("CNY", "income")]["total"] == 30000 and by_kind[("CNY", "loan")]["total"] == 5000000
    price = by_kind[("CNY", "price")]
    assert price["total"] is None and price["values"] == [6]
    shares = by_kind[("percent", None)]
    assert shares["total"] is None and shares["range"] == "58.3–96" and shares["values"] == [Decimal("58.3"), 96]
    points = by_kind[("percentage_point", None)]
    assert points["total"] is None and points["range"] == "2.5"


# ---------------------------------------------------------------- the migration from doubles


@pytest.fixture(params=["sqlite", "postgresql"])
def database_at_0002(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated only to 0002 (values still doubles), dropped afterwards."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        yield from _at_0002(url)
        return
    name = f"aidnews_migrate_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {str(exc).splitlines()[0]}")
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield from _at_0002(url)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _at_0002(url: str) -> Iterator[str]:
    engine = db.get_engine(url)
    with engine.begin() as conn:
        config = db.alembic_config(url)
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
    try:
        yield url
    finally:
        engine.dispose()


def _migrate(url: str, revision: str, downgrade: bool = False) -> None:
    with db.get_engine(url).begin() as conn:
        config = db.alembic_config(url)
        config.attributes["connection"] = conn
        (command.downgrade if downgrade else command.upgrade)(config, revision)


def test_the_migration_turns_old_doubles_into_the_written_figures_and_back(database_at_0002: str) -> None:
    url = database_at_0002
    rows = [
        (229999999.99999997, None, "CNY", "元"),
        (465000000.00000006, None, "CNY", "元"),
        (0.05, 0.1, "percent", "%"),
        (2.5, None, "percent", "个百分点"),
    ]
    with Session(db.get_engine(url)) as session:  # the article table is the same before and after
        session.add(Article(url="u", canonical_url="u", content_hash="h"))
        session.commit()
    with db.get_engine(url).begin() as conn:
        for index, (value, value_max, unit, classifier) in enumerate(rows):
            conn.execute(
                sa.text(
                    'INSERT INTO metric (article_id, text, start, "end", sentence, value, value_max, '
                    "unit, classifier, qualifier, category) VALUES (1, 't', :i, :i, 's', :v, :m, :u, "
                    ":c, 'exact', 'other')"
                ),
                {"i": index, "v": value, "m": value_max, "u": unit, "c": classifier},
            )
    _migrate(url, "0003")
    with Session(db.get_engine(url)) as session:
        migrated = session.execute(sa.select(Metric).order_by(Metric.start)).scalars().all()
    assert [str(m.value) for m in migrated] == ["230000000", "465000000", "0.05", "2.5"]
    assert migrated[2].value_max == Decimal("0.1") and [m.unit for m in migrated][2:] == ["percent", "percentage_point"]
    assert all(m.money_kind is None for m in migrated)
    _migrate(url, "0002", downgrade=True)
    with db.get_engine(url).connect() as conn:
        back = conn.execute(sa.text("SELECT value, unit FROM metric ORDER BY start")).all()
    assert [(float(value), unit) for value, unit in back] == [
        (230000000.0, "CNY"),
        (465000000.0, "CNY"),
        (0.05, "percent"),
        (2.5, "percent"),
    ]
    assert "money_kind" not in {c["name"] for c in sa.inspect(db.get_engine(url)).get_columns("metric")}


# ---------------------------------------------------------------- what a re-extraction changed


def test_changes_pair_figures_by_mention_and_count_each_changed_field() -> None:
    old = extract_metrics("投入援疆资金2.3亿元，培训干部40名，建成大棚10座。")
    new = extract_metrics("今年，投入援疆资金2.3亿元，培训当地干部40名。")  # shifted, one figure gone
    assert metric_changes(old, new) == {"metrics_removed": 1}
    changed = [
        dataclasses.replace(old[0], category="other", money_kind=None),
        old[1],
        dataclasses.replace(old[2], value=Decimal(11)),
    ]
    assert metric_changes(changed, old) == {
        "metric_categories_changed": 1,
        "metric_kinds_changed": 1,
        "metric_values_changed": 1,
    }


def test_storing_a_new_extraction_counts_the_changed_figures(database_url: str) -> None:
    html = (
        "<html><head><title>援疆资金助力疏勒县</title></head><body><h1>援疆资金助力疏勒县</h1><div class='content'>"
        "<p>山东省援疆指挥部投入援疆资金2.3亿元，新建温室大棚30座，带动当地群众就业500余人，"
        "鲜菇每斤能卖到6元左右。</p></div></body></html>"
    ).encode()
    new = extract(html, url="http://a/changes")
    assert [m.money_kind for m in new.metrics if m.unit == "CNY"] == ["aid_funding", "price"]
    stale = dataclasses.replace(
        new,
        metrics=[dataclasses.replace(m, money_kind=None, category="funding") for m in new.metrics if m.unit == "CNY"],
    )
    page = Page(url="http://a/changes", final_url="http://a/changes")
    counts: Counter[str] = Counter()
    with Session(db.get_engine(database_url)) as session:
        store_articles(session, [ExtractedPage(page, stale)], counts)
        session.commit()
        assert not counts  # a new article changes nothing
        store_articles(session, [ExtractedPage(page, new)], counts)
        session.commit()
        stored = session.execute(sa.select(Metric.text, Metric.money_kind).order_by(Metric.start)).all()
    assert counts == {"metrics_added": 2, "metric_kinds_changed": 2, "metric_categories_changed": 1}
    assert ("2.3亿元", "aid_funding") in stored and ("6元左右", "price") in stored


def test_storing_a_new_extraction_counts_changed_titles_and_body_characters(database_url: str) -> None:
    from etl.store.articles import changed_characters

    assert changed_characters("援疆资金够风项目", "援疆资金光伏项目") == 2
    assert changed_characters("abc", "abc") == 0 and changed_characters("", "新") == 1
    html = "<html><head><title>{t}</title></head><body><h1>{t}</h1><div class='content'><p>{b}</p></div></body></html>"
    body = "山东省援疆指挥部投入援疆资金2.3亿元，新建温室大棚30座，带动当地群众就业500余人。"
    first = extract(html.format(t="援疆资金助力疏勒县", b=body).encode(), url="http://a/text")
    second = extract(
        html.format(t="援疆资金助力疏勒县发展", b=body.replace("30座", "32座")).encode(), url="http://a/text"
    )
    page = Page(url="http://a/text", final_url="http://a/text")
    counts: Counter[str] = Counter()
    with Session(db.get_engine(database_url)) as session:
        store_articles(session, [ExtractedPage(page, first)], counts)
        store_articles(session, [ExtractedPage(page, second)], counts)
        session.commit()
    assert counts["titles_changed"] == 1 and counts["bodies_changed"] == 1 and counts["body_chars_changed"] == 1
    assert counts["metrics_added"] == counts["metrics_removed"] == 1  # 30座 became 32座: another mention
