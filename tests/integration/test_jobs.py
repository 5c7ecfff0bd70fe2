"""ETL jobs on SQLite and PostgreSQL: failures stay with their page, reprocessing is idempotent,
syndicated copies point at the original, and a killed ETL loses and doubles nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session
from stored import aid_page_html, store_page

from etl.process import etl_pass
from etl.store import engine as db
from etl.store.maintenance import maintenance
from etl.store.models import Article, Metric, Page, Run
from etl.store.runs import reap_stale_runs
from etl.store.sources import sync_sources

ROOT = Path(__file__).resolve().parents[2]
BODY = [
    "今年以来，江苏省援疆前方指挥部聚焦产业和就业，累计投入援疆资金3200万元，实施民生项目18个。",
    "在霍城县产业园，新建标准化厂房2.5万平方米，引进服装加工企业6家，带动当地群众就业1200余人。",
    "援疆干部表示，将继续做好对口支援工作，推动更多项目落地见效，让各族群众在家门口增收致富。",
]


def page_states(engine: sa.Engine) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as session:
        return {p.url: (p.etl_status, p.etl_error) for p in session.execute(sa.select(Page)).scalars()}


def test_a_failed_page_keeps_its_error_and_the_others_are_stored(database_url: str) -> None:
    engine = db.get_engine(database_url)
    store_page(engine, "http://a.cn/1.html", aid_page_html("江苏援疆助力霍城产业发展", BODY, date="2023-06-12 10:30"))
    store_page(engine, "http://a.cn/2.html", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    store_page(
        engine,
        "http://a.cn/3.html",
        aid_page_html(
            "明日天气预报",
            ["明天白天晴转多云，最高气温三十二度，夜间有阵风，请市民注意防暑降温，合理安排出行时间和户外活动。"],
            date="2023-06-12",
        ),
    )
    run = etl_pass(engine=engine)
    assert run.status == "ok"
    assert run.counts["articles"] == 1 and run.counts["errors"] == 1 and run.counts["skipped"] == 1
    states = page_states(engine)
    assert states["http://a.cn/1.html"] == ("done", None)
    assert states["http://a.cn/2.html"][0] == "error" and "binary" in states["http://a.cn/2.html"][1]
    assert states["http://a.cn/3.html"][0] == "skipped" and "not about aid" in states["http://a.cn/3.html"][1]
    with Session(engine) as session:
        article = session.execute(sa.select(Article)).scalar_one()
        assert article.title == "江苏援疆助力霍城产业发展"
        assert article.published_at == datetime.fromisoformat("2023-06-12T10:30:00+08:00")
        values = {m.text: m.value for m in session.execute(sa.select(Metric)).scalars()}
        assert values["3200万元"] == 32_000_000


def test_reprocessing_replaces_an_articles_metrics_without_duplicating_them(database_url: str) -> None:
    engine = db.get_engine(database_url)
    store_page(engine, "http://a.cn/1.html", aid_page_html("江苏援疆助力霍城产业发展", BODY, date="2023-06-12 10:30"))
    etl_pass(engine=engine)
    with Session(engine) as session:
        before = session.execute(sa.select(sa.func.count(Metric.id))).scalar_one()
    run = etl_pass(engine=engine, reprocess=True)
    assert run.counts["requeued"] == 1 and run.counts["articles"] == 1
    with Session(engine) as session:
        assert session.execute(sa.select(sa.func.count(Article.id))).scalar_one() == 1
        assert session.execute(sa.select(sa.func.count(Metric.id))).scalar_one() == before > 0
        assert session.execute(sa.select(Article.extractor_version)).scalar_one()


def test_pages_with_one_canonical_url_make_one_article(database_url: str) -> None:
    engine = db.get_engine(database_url)
    html = aid_page_html("江苏援疆助力霍城产业发展", BODY, date="2023-06-12 10:30", canonical="http://a.cn/1.html")
    store_page(engine, "http://a.cn/1.html?from=list", html)
    store_page(engine, "http://a.cn/1.html?page=1", html)
    etl_pass(engine=engine)
    with Session(engine) as session:
        assert session.execute(sa.select(Article.canonical_url)).scalars().all() == ["http://a.cn/1.html"]


def test_a_syndicated_copy_points_at_the_earliest_article(database_url: str) -> None:
    engine = db.get_engine(database_url)
    store_page(
        engine,
        "http://copy.cn/9.html",
        aid_page_html("江苏援疆助力霍城产业发展（转载）", [*BODY, "（来源：伊犁日报）"], date="2023-06-14 08:00"),
    )
    store_page(engine, "http://a.cn/1.html", aid_page_html("江苏援疆助力霍城产业发展", BODY, date="2023-06-12 10:30"))
    store_page(
        engine,
        "http://b.cn/5.html",
        aid_page_html(
            "新疆喀什举办农民丰收节",
            [
                "喀什地区各县市举办农民丰收节活动，展示特色农产品，广东援疆工作队组织企业现场采购，签约金额800万元。",
                "活动现场，来自疏附县和伽师县的农民合作社带来了瓜果、干果和手工艺品，吸引了众多市民前来选购。",
            ],
            date="2023-09-23",
        ),
    )
    etl_pass(engine=engine)
    with Session(engine) as session:
        rows = {a.url: (a.id, a.duplicate_of) for a in session.execute(sa.select(Article)).scalars()}
    original = rows["http://a.cn/1.html"]
    assert original[1] is None
    assert rows["http://copy.cn/9.html"][1] == original[0]
    assert rows["http://b.cn/5.html"][1] is None


def test_killing_the_etl_loses_and_doubles_nothing(sqlite_url: str) -> None:
    engine = db.get_engine(sqlite_url)
    count = 400
    for i in range(count):
        store_page(
            engine,
            f"http://a.cn/{i}.html",
            aid_page_html(
                f"江苏援疆助力霍城产业发展第{i}期", [BODY[0], f"本期编号{i}号。", *BODY[1:]], date="2023-06-12"
            ),
        )
    env = dict(os.environ, DATABASE_URL=sqlite_url)
    child = subprocess.Popen(
        [sys.executable, "-m", "aidnews", "etl", "--batch-size", "10"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = sum(1 for state, _ in page_states(engine).values() if state == "done")
        if done >= 30:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    partial = sum(1 for state, _ in page_states(engine).values() if state == "done")
    assert 0 < partial < count, "the kill should land mid-run"
    with Session(engine) as session:  # the killed run stays 'running'; its pages are whole or untouched
        assert session.execute(sa.select(sa.func.count(Article.id))).scalar_one() == partial
    assert reap_stale_runs(engine) == 1
    run = etl_pass(engine=engine)
    assert run.status == "ok" and run.counts["articles"] == count - partial
    with Session(engine) as session:
        assert session.execute(sa.select(sa.func.count(Article.id))).scalar_one() == count
        per_article = session.execute(
            sa.select(Metric.article_id, sa.func.count(Metric.id)).group_by(Metric.article_id)
        ).all()
        assert len({n for _, n in per_article}) == 1  # every article has the same metrics, none twice
        statuses = session.execute(sa.select(Run.status).where(Run.kind == "etl").order_by(Run.id)).scalars()
        assert list(statuses) == ["crashed", "ok"]
    assert all(state == "done" for state, _ in page_states(engine).values())


def test_maintenance_prunes_old_page_versions_but_keeps_the_newest_and_referenced(database_url: str) -> None:
    from datetime import timedelta

    engine = db.get_engine(database_url)
    old = datetime.now(UTC) - timedelta(days=400)
    ids = []
    for version in range(3):  # three versions of one list page, the first two long ago
        with Session(engine) as session:
            page = Page(
                url="http://a.cn/list.html",
                final_url="http://a.cn/list.html",
                kind="list",
                status=200,
                body=zlib.compress(b"v%d" % version),
                sha256=str(version),
                etl_status="skipped",
                fetched_at=old if version < 2 else datetime.now(UTC),
            )
            session.add(page)
            session.commit()
            ids.append(page.id)
    run = maintenance(retention_days=180, engine=engine)
    assert run.status == "ok" and run.counts["pages_pruned"] == 2
    with Session(engine) as session:
        assert session.execute(sa.select(Page.id)).scalars().all() == [ids[2]]


def test_a_copy_whose_canonical_link_names_another_sources_page_keeps_its_own_url(database_url: str) -> None:
    from etl.sources import parse_sources

    engine = db.get_engine(database_url)
    sync_sources(
        parse_sources(
            {
                "source": [
                    {
                        "name": "hq",
                        "start_urls": ["http://a.cn/hq/list.html"],
                        "article_patterns": [r"/hq/c_\d+\.html"],
                    },
                    {
                        "name": "portal",
                        "start_urls": ["http://a.cn/portal/list.html"],
                        "article_patterns": [r"/portal/\d+\.html"],
                    },
                ]
            }
        ).sources,
        engine,
    )
    original = "http://a.cn/hq/c_1.html"
    store_page(engine, original, aid_page_html("江苏援疆助力霍城产业发展", BODY, date="2023-06-12 10:30"), source="hq")
    store_page(
        engine,
        "http://a.cn/portal/77.html",
        aid_page_html("江苏援疆助力霍城产业发展", BODY, date="2023-06-13 09:00", canonical=original),
        source="portal",
    )
    store_page(
        engine,
        "http://a.cn/hq/c_1.html?from=rss",
        aid_page_html("江苏援疆助力霍城产业发展", BODY, date="2023-06-12 10:30", canonical=original),
        source="hq",
    )
    etl_pass(engine=engine)
    with Session(engine) as session:
        articles = session.execute(sa.select(Article)).scalars()
        rows = {a.canonical_url: (a.id, a.source_name, a.duplicate_of) for a in articles}
    assert set(rows) == {original, "http://a.cn/portal/77.html"}
    assert rows[original][1] == "hq" and rows[original][2] is None
    assert rows["http://a.cn/portal/77.html"][2] == rows[original][0]
