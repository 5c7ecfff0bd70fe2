"""A corrected page on SQLite and PostgreSQL: same article, new figures in one transaction, the old version kept."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from stored import aid_page_html, store_page
from typer.testing import CliRunner

from aidnews.cli import app
from etl.process import etl_pass
from etl.store import engine as db
from etl.store.models import Article, ArticleVersion, Metric
from etl.store.versions import compare, history

pytestmark = pytest.mark.integration

URL = "http://aid.example.cn/content/2024-05/06/c_1001.html"
TITLE = "江苏援疆助力霍城产业发展"
BODY = [
    "今年以来，江苏省援疆前方指挥部聚焦产业和就业，累计投入援疆资金3200万元，实施民生项目18个。",
    "在霍城县产业园，新建标准化厂房2.5万平方米，引进服装加工企业6家，带动当地群众就业1200余人。",
    "援疆干部表示，将继续做好对口支援工作，推动更多项目落地见效，让各族群众在家门口增收致富。",
]


def article_state(engine: sa.Engine) -> tuple[int, str, set[str], int]:
    with Session(engine) as session:
        article = session.execute(sa.select(Article)).scalar_one()
        figures = set(session.execute(sa.select(Metric.text).where(Metric.article_id == article.id)).scalars())
        versions = session.execute(sa.select(sa.func.count(ArticleVersion.id))).scalar_one()
        assert article.id is not None and article.title is not None
        return article.id, article.title, figures, versions


def test_a_corrected_page_keeps_the_article_id_replaces_its_figures_and_keeps_the_old_version(
    database_url: str,
) -> None:
    engine = db.get_engine(database_url)
    store_page(engine, URL, aid_page_html(TITLE, BODY))
    etl_pass(engine=engine)
    first_id, _, figures, versions = article_state(engine)
    assert "3200万元" in figures and versions == 0

    corrected = [BODY[0].replace("3200万元", "3500万元"), BODY[1], BODY[2] + "目前各项目均已开工。"]
    store_page(engine, URL, aid_page_html(TITLE + "（更正）", corrected))
    run = etl_pass(engine=engine)
    assert run.status == "ok"
    article_id, title, figures, versions = article_state(engine)
    assert article_id == first_id and title == TITLE + "（更正）"
    assert "3500万元" in figures and "3200万元" not in figures and versions == 1

    with Session(engine) as session:
        old, new = history(session, article_id)
    assert old.title == TITLE and not old.current and new.current
    assert any(f["text"] == "3200万元" for f in old.figures)
    change = compare(old, new)
    assert change.title_changed and change.body_added >= len("目前各项目均已开工。") and change.body_removed >= 1
    assert [(c.before, c.after) for c in change.figures_changed] == [("3200万元", "3500万元")]

    etl_pass(engine=engine, reprocess=True)  # the same page extracted again is no correction
    assert article_state(engine)[3] == 1


def test_a_new_fetch_with_the_same_article_adds_no_version(database_url: str) -> None:
    engine = db.get_engine(database_url)
    store_page(engine, URL, aid_page_html(TITLE, BODY))
    etl_pass(engine=engine)
    store_page(engine, URL, aid_page_html(TITLE, BODY) + b"<!-- served 2024-05-07 -->")  # new bytes, same article
    etl_pass(engine=engine)
    assert article_state(engine)[3] == 0


def test_the_versions_command_shows_what_changed(database_url: str) -> None:
    engine = db.get_engine(database_url)
    store_page(engine, URL, aid_page_html(TITLE, BODY))
    etl_pass(engine=engine)
    store_page(engine, URL, aid_page_html(TITLE, [BODY[0].replace("3200万元", "3500万元"), *BODY[1:]]))
    etl_pass(engine=engine)
    article_id = article_state(engine)[0]
    runner = CliRunner()
    result = runner.invoke(app, ["article", str(article_id), "--versions", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["version"] for r in rows] == [1, 2] and rows[1]["current"] and rows[0]["changes"] is None
    assert rows[1]["changes"]["figures_changed"][0]["before"] == "3200万元"
    assert rows[1]["changes"]["figures_changed"][0]["after"] == "3500万元"
    table = runner.invoke(app, ["article", str(article_id), "--versions"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "figure changed: 3200万元 → 3500万元" in table.stdout
    missing = runner.invoke(app, ["article", "999999", "--versions"])
    assert missing.exit_code == 1
