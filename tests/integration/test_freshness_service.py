"""Issue 15.2: the running service notices a corrected article on the demo portal, and an unchanged one costs a 304.

The service is the real one (scheduler.Service, crawling in child processes, ETL after each crawl) with the
crawl interval shortened to seconds, as in the service stress tests; the correction is written into the
demo portal's edits directory, which no page links to.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session

import scheduler
from crawler.demo import DemoPortal, demo_sources, ground_truth
from etl import query
from etl.filters import Filters, resolve
from etl.sources import parse_sources
from etl.store import engine as db
from etl.store.models import Article, ArticleVersion, Metric, Page, Run, utcnow

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REVISIT_SECONDS = 15
CRAWL_SECONDS = 5
MONEY = re.compile(r"资金(\d[\d,]*)万元")


def wait_for(condition: Any, timeout: float, what: str) -> float:
    """Poll until condition() is true; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def pick_article(base: str) -> tuple[dict[str, Any], str, int, int]:
    """An hq original whose body states its aid funding once: (truth, figure text, old value, new value in 万元)."""
    for truth in ground_truth(base):
        if truth["site"] != "hq" or truth["canonical_of"]:
            continue
        found = [m for p in truth["paragraphs"] for m in MONEY.finditer(p)]
        if len(found) == 1:
            old = int(found[0].group(1).replace(",", ""))
            return truth, found[0].group(0), old, old + 111
    raise AssertionError("no hq article states its funding once")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path / 'svc.db'}"
    db.upgrade(url)
    engine = db.get_engine(url)
    edits = tmp_path / "edits"
    edits.mkdir()
    with DemoPortal(slow_seconds=1.0, edits=edits) as portal:
        hq = next(s for s in demo_sources(portal.base_url) if s["name"] == "demo-hq")
        config = parse_sources({"source": [dict(hq, revisit_days=36500, revisit_every=f"{REVISIT_SECONDS}s")]})
        running = scheduler.Service(config, engine)
        running.overdue_delay = 3600  # maintenance is not this test's subject
        running.build(run_now=True)
        running.scheduler.reschedule_job("crawl:demo-hq", trigger=IntervalTrigger(seconds=CRAWL_SECONDS))
        running.scheduler.start()
        try:
            yield {"engine": engine, "portal": portal, "edits": edits}
        finally:
            running.stop()
            running.scheduler.shutdown(wait=True)
    engine.dispose()


def article_of(engine: sa.Engine, url: str) -> tuple[int, str, list[float]] | None:
    with Session(engine) as session:
        article = session.execute(sa.select(Article).where(Article.canonical_url == url)).scalar_one_or_none()
        if article is None or article.id is None:
            return None
        values = list(session.execute(sa.select(Metric.value).where(Metric.article_id == article.id)).scalars())
        return article.id, article.title or "", values


def naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def crawl_finished_across(engine: sa.Engine, moment: datetime) -> bool:
    """A crawl that was running at `moment` has finished and recorded itself."""
    with Session(engine) as session:
        runs = session.execute(sa.select(Run).where(Run.kind == "crawl")).scalars().all()
    return any(
        run.finished_at is not None and naive_utc(run.started_at) <= moment <= naive_utc(run.finished_at)
        for run in runs
    )


def yuan_total(engine: sa.Engine) -> float:
    """The source's aid funding in yuan, as `aidnews metrics --group-by source --category funding` shows it."""
    with Session(engine) as session:
        rows = query.grouped_metrics(session, "source", resolve(session, Filters(category="funding", unit="CNY")))
    return sum(r["total"] for r in rows if r["source"] == "demo-hq")


def test_the_service_picks_up_a_correction_within_a_revisit_interval_and_keeps_the_old_version(
    service: dict[str, Any],
) -> None:
    engine, portal = service["engine"], service["portal"]
    truth, figure, old, new = pick_article(portal.base_url)
    url = truth["url"]
    first_cycle = wait_for(lambda: article_of(engine, url) is not None, 300, "the first crawl and ETL")
    article_id, title, values = article_of(engine, url)  # type: ignore[misc]
    assert old * 1e4 in values
    before_total = yuan_total(engine)

    corrected = [
        p.replace(
            figure, figure.replace(f"{old:,}" if "," in figure else str(old), f"{new:,}" if "," in figure else str(new))
        )
        for p in truth["paragraphs"]
    ]
    assert corrected != truth["paragraphs"]
    (service["edits"] / "corrections.jsonl").write_text(
        json.dumps(
            {"id": truth["id"], "title": truth["title"] + "（更新）", "paragraphs": corrected}, ensure_ascii=False
        )
        + "\n",
        encoding="utf-8",
    )
    took = wait_for(
        lambda: (a := article_of(engine, url)) is not None and new * 1e4 in a[2],
        REVISIT_SECONDS + CRAWL_SECONDS + 10 * max(first_cycle, 5.0),
        "the correction reaching the article",
    )
    # One revisit interval, plus the crawl period and one crawl and ETL pass to notice it; that pass is bounded
    # by ten times the first crawl and ETL measured above (at least 5 s), so a loaded machine does not fail it.
    print(f"correction picked up {took:.1f} s after it was served (first crawl and ETL: {first_cycle:.1f} s)")

    article_id_after, title_after, values_after = article_of(engine, url)  # type: ignore[misc]
    assert article_id_after == article_id and title_after == title + "（更新）"
    assert old * 1e4 not in values_after
    assert yuan_total(engine) == before_total + (new - old) * 10_000  # exact decimals: no approximation
    with Session(engine) as session:
        kept = session.execute(sa.select(ArticleVersion).where(ArticleVersion.article_id == article_id)).scalars().all()
    assert len(kept) == 1 and kept[0].title == title
    assert any(Decimal(m["value"]) == old * 10_000 for m in kept[0].metrics)  # kept as exact decimal text


def test_an_unchanged_article_costs_one_304_per_revisit_and_nothing_else(service: dict[str, Any]) -> None:
    engine, portal = service["engine"], service["portal"]
    truth, *_ = pick_article(portal.base_url)
    url, path = truth["url"], truth["url"].split(portal.base_url, 1)[1]
    wait_for(lambda: article_of(engine, url) is not None, 300, "the first crawl and ETL")
    with Session(engine) as session:
        updated = session.execute(sa.select(Article.updated_at).where(Article.canonical_url == url)).scalar_one()
    hits = portal.hits[path]
    wait_for(lambda: portal.hits[path] > hits, REVISIT_SECONDS + CRAWL_SECONDS + 60, "a revisit")
    asked = naive_utc(utcnow())
    # the crawl that asked finishes and records itself (waited for, not slept: a loaded machine may be slow)
    wait_for(lambda: crawl_finished_across(engine, asked), 120, "the revisiting crawl's run")
    with Session(engine) as session:
        versions = session.execute(sa.select(sa.func.count(Page.id)).where(Page.url == url)).scalar_one()
        article = session.execute(sa.select(Article).where(Article.canonical_url == url)).scalar_one()
        crawls = (
            session.execute(sa.select(Run).where(Run.kind == "crawl", Run.status == "ok").order_by(Run.id))
            .scalars()
            .all()
        )
        checked = session.execute(sa.select(Page.checked_at).where(Page.url == url)).scalar_one()
    assert versions == 1 and article.updated_at == updated and checked is not None
    revisits = [c.counts for c in crawls if c.counts.get("revisit_requests")]
    assert revisits, "no crawl revisited anything"
    for counts in revisits:  # every revisited article was unchanged: each cost one 304, nothing was stored
        assert counts["revisit_unchanged"] == counts["revisit_requests"] == counts.get("http_304")
        assert counts.get("fetched_article", 0) == 0
        assert counts["by_source"]["demo-hq"].get("articles_new", 0) == 0
    assert portal.hits[path] - hits <= len(revisits)  # at most one request per revisiting crawl
