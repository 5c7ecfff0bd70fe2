"""Articles an older extractor built, on SQLite and PostgreSQL: the ETL brings them up to date by itself.

A database upgraded from before the money kinds holds yuan figures with no kind; the aid funding totals leave
them out. Here such a database is made by writing articles with the current extractor and then turning them
back into what the older one stored (its version, no kinds, every yuan figure filed as funding or the like).
Each ETL pass must then re-extract a bounded batch of them, oldest extraction first, without new article ids,
without article versions (a re-extraction is not a correction) and without moving duplicate links; until it
is done, status and totals must say how many money figures they leave out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from stored import aid_page_html, store_page
from typer.testing import CliRunner

from aidnews.cli import app
from etl import staleness
from etl.extract import EXTRACTOR_VERSION
from etl.process import etl_pass
from etl.staleness import older_than, requeue_stale
from etl.store import engine as db
from etl.store.models import Article, ArticleVersion, Metric, Page

pytestmark = pytest.mark.integration

OLD_VERSION = "1"
# four different reports (near-copies would be linked as duplicates), each with aid money, a price and a wage
REPORTS = {
    "霍城县": [
        "今年以来，江苏省援疆前方指挥部聚焦霍城县产业发展，累计投入援疆资金1000万元，实施民生项目18个。",
        "当地特色农产品销路打开，葡萄每斤卖到6元，带动群众就业1200余人，人均月收入达到4000元。",
    ],
    "察布查尔县": [
        "察布查尔县新建的职业技能实训基地日前投入使用，该基地由对口支援方安排援助资金2300万元建设。",
        "基地开设电工、焊工和烹饪等专业，学员结业后在园区企业上岗，月工资普遍在3500元左右，大米每公斤售价9元。",
    ],
    "伊宁县": [
        "为改善伊宁县乡村医疗条件，支援医院今年派出专家团队，并拨付对口帮扶资金560万元更新设备。",
        "专家在县医院新开展手术项目二十项，门诊挂号费仍为每次5元，护理人员月收入提高到4800元。",
    ],
    "尼勒克县": [
        "尼勒克县的援建学校迎来新学期，教学楼和学生宿舍由援疆资金4100万元建成，可容纳学生两千人。",
        "学校食堂为学生提供营养午餐，每餐成本约12元，新聘的炊事员每月工资3000元，家长普遍表示满意。",
    ],
}
RECIPIENTS = list(REPORTS)


def page_html(title: str, recipient: str, amount: int | None = None) -> bytes:
    paragraphs = list(REPORTS[recipient])
    if amount is not None:  # a corrected figure
        paragraphs[0] = paragraphs[0].replace("1000万元", f"{amount}万元")
    paragraphs.append("援疆干部表示，将继续做好对口支援工作，推动更多项目落地见效，让各族群众在家门口增收致富。")
    return aid_page_html(title, paragraphs)


def snapshot(engine: sa.Engine) -> dict[str, object]:
    """What must survive a re-extraction: ids per URL, duplicate links, versions kept, figures with their kinds."""
    with Session(engine) as session:
        articles = session.execute(sa.select(Article.canonical_url, Article.id, Article.duplicate_of)).all()
        figures = session.execute(
            sa.select(Metric.article_id, Metric.text, Metric.unit, Metric.category, Metric.money_kind).order_by(
                Metric.article_id, Metric.start
            )
        ).all()
        versions = session.execute(sa.select(sa.func.count(ArticleVersion.id))).scalar_one()
    return {
        "ids": {url: article_id for url, article_id, _ in articles},
        "duplicates": {url: duplicate for url, _, duplicate in articles},
        "figures": [tuple(row) for row in figures],
        "versions": versions,
    }


def funding_total(engine: sa.Engine) -> float:
    with engine.connect() as conn:
        return float(conn.execute(sa.text("SELECT COALESCE(SUM(total_cny), 0) FROM v_funding_totals")).scalar_one())


def make_old(engine: sa.Engine) -> None:
    """Turn the stored rows back into what the extractor before the money kinds wrote, oldest page first."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        ids = list(conn.execute(sa.select(Page.id).order_by(Page.id.desc())).scalars())
        for offset, page_id in enumerate(ids):  # the newest page was extracted first: it must come back first
            conn.execute(
                sa.update(Page)
                .where(Page.id == page_id)
                .values(extractor_version=OLD_VERSION, processed_at=start + timedelta(minutes=offset))
            )
        conn.execute(sa.update(Article).values(extractor_version=OLD_VERSION))
        conn.execute(
            sa.update(Metric)
            .where(Metric.unit == "CNY")
            .values(money_kind=None, category=sa.case((Metric.category == "other", "funding"), else_=Metric.category))
        )


@pytest.fixture
def filled(database_url: str) -> sa.Engine:
    engine = db.get_engine(database_url)
    for n, recipient in enumerate(RECIPIENTS):
        store_page(
            engine,
            f"http://aid.example.cn/content/c_{n}.html",
            page_html(f"援疆助力{recipient}发展", recipient, 1000 + n),
        )
    # a syndicated copy of the first article under another URL: linked as a duplicate
    store_page(
        engine, "http://copy.example.cn/news/c_0.html", page_html(f"援疆助力{RECIPIENTS[0]}发展", RECIPIENTS[0], 1000)
    )
    assert etl_pass(engine=engine).status == "ok"
    return engine


def test_each_pass_brings_a_bounded_batch_up_to_date_and_keeps_ids_versions_and_duplicates(
    filled: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = filled
    current = snapshot(engine)
    assert sum(1 for d in current["duplicates"].values() if d) == 1  # type: ignore[union-attr]
    assert any(kind == "aid_funding" for *_, kind in current["figures"])  # type: ignore[union-attr]
    full_total = funding_total(engine)
    assert full_total > 0

    make_old(engine)
    assert funding_total(engine) == 0  # the view adds aid funding only: the old figures are left out …
    with Session(engine) as session:
        behind = staleness.staleness(session, EXTRACTOR_VERSION)
    assert behind.awaiting == len(current["ids"]) and behind.left_behind == 0  # type: ignore[arg-type]
    assert behind.unclassified_money > 0  # … and status says so

    monkeypatch.setattr(staleness, "STALE_PER_PASS", 2)
    with engine.connect() as conn:
        newest_page = conn.execute(sa.select(sa.func.max(Page.id))).scalar_one()
    run = etl_pass(engine=engine)
    assert run.status == "ok" and run.counts["stale_requeued"] == 2 and run.counts["pages"] == 2
    with engine.connect() as conn:
        done = set(conn.execute(sa.select(Page.id).where(Page.extractor_version == EXTRACTOR_VERSION)).scalars())
    assert newest_page in done and len(done) == 2  # the oldest extraction first

    passes = 1
    while etl_pass(engine=engine).counts.get("stale_requeued"):
        passes += 1
        assert passes < 10
    assert passes == 3  # five articles, two a pass

    assert snapshot(engine) == current  # same ids, same duplicate links, no versions, every kind back
    assert funding_total(engine) == full_total
    with Session(engine) as session:
        assert not staleness.staleness(session, EXTRACTOR_VERSION).behind
    quiet = etl_pass(engine=engine)
    assert "stale_requeued" not in quiet.counts and quiet.counts.get("pages", 0) == 0


def test_a_stale_page_already_waiting_is_not_taken_again(filled: sa.Engine) -> None:
    """A pass that stopped early leaves requeued pages pending: the next pass takes the next stale pages."""
    make_old(filled)
    first = requeue_stale(filled, EXTRACTOR_VERSION, 2)
    second = requeue_stale(filled, EXTRACTOR_VERSION, 2)
    assert len(first) == len(second) == 2 and not set(first) & set(second)
    assert staleness.count_stale(filled, EXTRACTOR_VERSION) == 1  # of five, four wait in the queue already


def test_status_and_totals_say_what_they_leave_out_until_then(filled: sa.Engine, tmp_path: Path) -> None:
    make_old(filled)
    runner = CliRunner()
    report = runner.invoke(app, ["report", "--out", str(tmp_path / "before.html")])
    assert report.exit_code == 0, report.output
    assert "尚未分类的金额" in (tmp_path / "before.html").read_text(encoding="utf-8")
    status = runner.invoke(app, ["status"], env={"COLUMNS": "200"})
    assert status.exit_code == 0, status.output
    assert "5 articles await re-extraction" in status.stdout
    assert "money figures not yet classified" in status.stdout and "totals exclude them" in status.stdout
    info = json.loads(runner.invoke(app, ["status", "--format", "json"]).stdout)
    assert info["extraction"]["awaiting"] == 5 and info["extraction"]["unclassified_money"] > 0

    totals = runner.invoke(app, ["metrics", "--group-by", "recipient", "--format", "json"])
    assert totals.exit_code == 0, totals.output
    assert "not yet classified" in totals.stderr
    rows = [json.loads(line) for line in totals.stdout.splitlines()]
    yuan = [row for row in rows if row["unit"] == "CNY"]
    assert yuan and all(row["kind"] == "unclassified" and row["total"] is None for row in yuan)  # never summed
    funding = runner.invoke(app, ["metrics", "--group-by", "recipient", "--category", "funding"])
    assert "not yet classified" in funding.stderr

    etl_pass(engine=filled)  # five pages: one pass with the default batch catches up
    status = runner.invoke(app, ["status"], env={"COLUMNS": "200"})
    assert "re-extraction" not in status.stdout and "not yet classified" not in status.stdout
    totals = runner.invoke(app, ["metrics", "--group-by", "recipient", "--category", "funding"])
    assert "not yet classified" not in totals.stderr
    assert runner.invoke(app, ["report", "--out", str(tmp_path / "after.html")]).exit_code == 0
    assert "尚未分类的金额" not in (tmp_path / "after.html").read_text(encoding="utf-8")


def test_only_the_page_an_article_was_built_from_is_taken_again(database_url: str) -> None:
    """An older version of a corrected page must not come back: it would overwrite the correction."""
    engine = db.get_engine(database_url)
    url = "http://aid.example.cn/content/c_9.html"
    store_page(engine, url, page_html("援疆助力霍城县发展", "霍城县"))
    etl_pass(engine=engine)
    corrected = store_page(engine, url, page_html("援疆助力霍城县发展（更正）", "霍城县", 3500))
    etl_pass(engine=engine)
    before = snapshot(engine)
    assert before["versions"] == 1
    make_old(engine)
    assert requeue_stale(engine, EXTRACTOR_VERSION) == [corrected]
    etl_pass(engine=engine)
    after = snapshot(engine)
    assert after == before  # the correction stands, and re-reading it kept no further version
    with Session(engine) as session:
        assert session.execute(sa.select(Article.title)).scalar_one() == "援疆助力霍城县发展（更正）"


@pytest.mark.parametrize(
    ("stored", "older"),
    [("", True), ("1", True), ("9", True), ("10", False), ("11", False), ("100", False), ("bench", False)],
)
def test_versions_compare_as_whole_numbers(sqlite_url: str, stored: str, older: bool) -> None:
    engine = db.get_engine(sqlite_url)
    with engine.connect() as conn:
        found = conn.execute(sa.select(older_than(sa.literal(stored), "10"))).scalar_one()  # type: ignore[arg-type]
    assert bool(found) is older
