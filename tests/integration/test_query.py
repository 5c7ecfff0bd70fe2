"""Queries behind `aidnews metrics --group-by` and `aidnews status`, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from etl import query
from etl.filters import Filters, resolve
from etl.health import source_health
from etl.store import engine as db
from etl.store.models import Article, Metric


def add(
    session: Session,
    url: str,
    recipient: str,
    year: int,
    metrics: list[tuple[str, float, str, str]],
    duplicate_of: int | None = None,
) -> int:
    article = Article(
        url=url,
        canonical_url=url,
        content_hash=url,
        title=f"援疆 {recipient}",
        published_at=datetime(year, 6, 1, tzinfo=UTC),
        program="援疆",
        provider_province="山东省",
        recipient_province="新疆维吾尔自治区",
        recipient_prefecture=recipient,
        duplicate_of=duplicate_of,
    )
    session.add(article)
    session.commit()
    for i, (text, value, unit, category) in enumerate(metrics):
        kind = "aid_funding" if category == "funding" else None
        session.add(
            Metric(
                article_id=article.id,
                text=text,
                start=i,
                end=i + len(text),
                sentence=f"句子{text}。",
                value=value,
                unit=unit,
                category=category,
                money_kind=kind,
            )
        )
    session.commit()
    assert article.id is not None
    return article.id


@pytest.fixture
def filled(database_url: str) -> Iterator[Session]:
    session = Session(db.get_engine(database_url))
    first = add(
        session,
        "http://a/1",
        "喀什地区",
        2022,
        [("420余万元", 4.2e6, "CNY", "funding"), ("40名", 40, "person", "personnel")],
    )
    add(session, "http://a/2", "喀什地区", 2023, [("13.56亿元", 1.356e9, "CNY", "funding")])
    add(session, "http://a/3", "和田地区", 2023, [("1200万元", 1.2e7, "CNY", "funding")])
    add(session, "http://copy/1", "喀什地区", 2022, [("420余万元", 4.2e6, "CNY", "funding")], duplicate_of=first)
    yield session
    session.close()  # an open transaction would block the next test's TRUNCATE on PostgreSQL


def test_totals_per_recipient_never_add_money_to_people_and_skip_copies(filled: Session) -> None:
    rows = query.grouped_metrics(filled, "recipient", resolve(filled, Filters()))
    totals = {(r["recipient"], r["unit"]): (r["total"], r["articles"]) for r in rows}
    assert totals[("新疆维吾尔自治区 喀什地区", "CNY")] == (pytest.approx(1.3602e9), 2)
    assert totals[("新疆维吾尔自治区 喀什地区", "person")] == (40, 1)
    assert totals[("新疆维吾尔自治区 和田地区", "CNY")] == (pytest.approx(1.2e7), 1)


def test_totals_per_year_for_one_category_list_their_evidence(filled: Session) -> None:
    rows = query.grouped_metrics(filled, "year", resolve(filled, Filters(category="funding")), with_evidence=5)
    by_year = {r["year"]: r for r in rows}
    assert set(by_year) == {"2022", "2023"}
    assert by_year["2023"]["total"] == pytest.approx(1.368e9) and by_year["2023"]["mentions"] == 2
    assert {e["text"] for e in by_year["2023"]["evidence"]} == {"13.56亿元", "1200万元"}
    assert all(e["sentence"] for e in by_year["2022"]["evidence"])


def test_an_unknown_grouping_is_refused(filled: Session) -> None:
    with pytest.raises(ValueError, match="cannot group by"):
        query.grouped_metrics(filled, "colour", resolve(filled, Filters()))


def test_articles_and_status_counts(filled: Session) -> None:
    listing = query.articles(filled, resolve(filled, Filters(duplicates=True)), limit=10)
    assert len(listing.rows) == listing.total == 4 and listing.rows[0]["published_at"].endswith("+08:00")
    assert query.articles(filled, resolve(filled, Filters()), limit=2).total == 3  # copies hidden by default
    info = query.status(filled)
    assert info["articles"] == 4 and info["primary_articles"] == 3 and info["metrics"] == 5


def test_status_warns_when_a_sources_latest_pages_come_out_garbled_or_failed(database_url: str) -> None:
    import zlib

    from etl.store.models import Page, Run

    engine = db.get_engine(database_url)
    with Session(engine) as session:
        for i in range(30):
            broken = i >= 18  # the last 12 pages: the layout changed
            page = Page(
                url=f"http://s/{i}",
                final_url=f"http://s/{i}",
                source_name="s",
                status=200,
                body=zlib.compress(b"x"),
                sha256=str(i),
                etl_status="error" if broken else "done",
            )
            session.add(page)
            session.commit()
            if not broken:
                session.add(
                    Article(url=page.url, canonical_url=page.url, content_hash=str(i), page_id=page.id, source_name="s")
                )
        ids = []
        for stored in (450, 12, 9, 8, 0, 0, 0):  # the first full crawl, three ordinary ones, three quiet ones
            run = Run(kind="crawl", source_name="s", status="ok", counts={"pages_stored": stored})
            session.add(run)
            session.commit()
            ids.append(run.id)
        health = {h["source"]: h for h in source_health(session)}["s"]
    assert health["failed"] == 12 and health["new_pages_last_runs"] == [0, 0, 0, 8, 9]
    assert health["first_full_crawl"] == ids[0]
    assert health["usual_new_pages"] == 9  # the median of the crawls after the first and before the quiet ones
    text = " ".join(health["warnings"])
    assert f"nothing new in crawls #{ids[4]}, #{ids[5]}, #{ids[6]}" in text
    assert f"crawls #{ids[1]}–#{ids[3]} (after the first full crawl #{ids[0]}) yielded a median of 9" in text
    assert "layout or encoding changed" in text


@pytest.mark.parametrize("yields", [(450, 0, 0, 0), (450, 0, 0, 0, 0, 0, 0), (450, 3, 0, 0, 0)])
def test_no_quiet_warning_after_a_first_full_crawl_alone_or_without_enough_history(
    database_url: str, yields: tuple[int, ...]
) -> None:
    import zlib

    from etl.store.models import Page, Run

    with Session(db.get_engine(database_url)) as session:
        session.add(
            Page(
                url="http://q/1",
                final_url="http://q/1",
                source_name="q",
                status=200,
                body=zlib.compress(b"x"),
                sha256="1",
                etl_status="done",
            )
        )
        for stored in yields:
            session.add(Run(kind="crawl", source_name="q", status="ok", counts={"pages_stored": stored}))
            session.commit()
        health = {h["source"]: h for h in source_health(session)}["q"]
    assert health["warnings"] == []
