"""A corrected page on SQLite and PostgreSQL: same article, new figures in one transaction, the old version kept."""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from typer.testing import CliRunner

from aidnews.cli import app
from etl.process import etl_pass
from etl.store import engine as db
from etl.store.models import Article, ArticleVersion, Metric, Page
from etl.store.versions import compare, history

pytestmark = pytest.mark.integration

URL = "http://aid.example.cn/content/2024-05/06/c_1001.html"
TITLE = "江苏援疆助力霍城产业发展"
BODY = [
    "今年以来，江苏省援疆前方指挥部聚焦产业和就业，累计投入援疆资金3200万元，实施民生项目18个。",
    "在霍城县产业园，新建标准化厂房2.5万平方米，引进服装加工企业6家，带动当地群众就业1200余人。",
    "援疆干部表示，将继续做好对口支援工作，推动更多项目落地见效，让各族群众在家门口增收致富。",
]


def page_html(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><meta charset='utf-8'><title>{title}_援疆网</title></head><body>"
        f"<div class='nav'><a href='/'>首页</a><a href='/news/'>新闻</a></div><h1>{title}</h1>"
        f"<div class='info'>发布时间：2024-05-06 10:30 来源：伊犁日报</div>"
        f"<div class='article-content'>{body}</div>"
        f"<div class='footer'>版权所有 新ICP备000000号</div></body></html>"
    ).encode()


def store_page(engine: sa.Engine, url: str, body: bytes) -> int:
    with Session(engine) as session:
        page = Page(
            url=url,
            final_url=url,
            source_name="test",
            status=200,
            body=zlib.compress(body),
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            content_type="text/html; charset=utf-8",
            fetched_at=datetime.now(UTC),
        )
        session.add(page)
        session.commit()
        assert page.id is not None
        return page.id


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
    store_page(engine, URL, page_html(TITLE, BODY))
    etl_pass(engine=engine)
    first_id, _, figures, versions = article_state(engine)
    assert "3200万元" in figures and versions == 0

    corrected = [BODY[0].replace("3200万元", "3500万元"), BODY[1], BODY[2] + "目前各项目均已开工。"]
    store_page(engine, URL, page_html(TITLE + "（更正）", corrected))
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
    store_page(engine, URL, page_html(TITLE, BODY))
    etl_pass(engine=engine)
    store_page(engine, URL, page_html(TITLE, BODY) + b"<!-- served 2024-05-07 -->")  # new bytes, same article
    etl_pass(engine=engine)
    assert article_state(engine)[3] == 0


def test_the_versions_command_shows_what_changed(database_url: str) -> None:
    engine = db.get_engine(database_url)
    store_page(engine, URL, page_html(TITLE, BODY))
    etl_pass(engine=engine)
    store_page(engine, URL, page_html(TITLE, [BODY[0].replace("3200万元", "3500万元"), *BODY[1:]]))
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
