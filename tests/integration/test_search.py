"""Full-text search and the listing filters, on SQLite and PostgreSQL alike.

The index is checked where it can drift: articles written by the ETL, replaced by a later version of their
page, deleted, and those stored before the index existed (the migration back-fills them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session
from stored import store_page

from etl import query
from etl.filters import Filters, InvalidFilter, resolve
from etl.process import etl_pass
from etl.store import engine as db
from etl.store import grams, search
from etl.store.models import Article, Metric

pytestmark = pytest.mark.integration

FILLER = "各族群众在家门口增收致富，项目建设稳步推进，各项工作取得明显成效。"


def _page_html(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
        f"<div class='info'>发布时间：2024-03-05 10:00 来源：喀什日报</div>"
        f"<div class='article-content'>{body}</div></body></html>"
    ).encode()


def _ids(session: Session, q: str, **filters: object) -> list[int]:
    criteria = resolve(session, Filters(q=q, duplicates=True, **filters))  # type: ignore[arg-type]
    return [row["id"] for row in query.articles(session, criteria, limit=100).rows]


def _index_agrees(session: Session, term: str) -> list[int]:
    """The ids of the articles the index alone holds `term` for: SQLite's FTS5 table (checked against the
    article table first), PostgreSQL's passages."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("INSERT INTO article_fts(article_fts, rank) VALUES ('integrity-check', 1)"))
        query = "SELECT rowid FROM article_fts WHERE article_fts MATCH '\"' || :q || '\"'"
    else:
        query = "SELECT DISTINCT article_id FROM article_passage WHERE strpos(text, :q) > 0"
    return list(session.execute(sa.text(query), {"q": term}).scalars())


def test_the_etl_keeps_the_index_in_step_through_inserts_replacements_and_deletes(database_url: str) -> None:
    engine = db.get_engine(database_url)
    url = "http://example.test/news/1.html"
    store_page(
        engine,
        url,
        _page_html("东营援疆干部走进疏勒县", ["东营市援疆干部深入乡村开展走访，了解群众需求。", FILLER * 3]),
    )
    assert etl_pass(engine=engine).counts["articles"] == 1
    with Session(engine) as session:
        (first,) = _ids(session, "东营市援疆")
        assert _ids(session, "走进疏勒县") == [first] == _index_agrees(session, "走进疏勒县")  # titles too
        assert _ids(session, "走访") == [first] == _ids(session, "訪")  # the bigram index, Traditional converted
    store_page(engine, url, _page_html("东营援疆干部走进疏勒县", ["新建温室大棚一百二十座，带动就业。", FILLER * 3]))
    assert etl_pass(engine=engine).counts["articles"] == 1  # a new version of the page replaces the article
    with Session(engine) as session:
        assert _ids(session, "东营市援疆") == [] and _ids(session, "走访") == [] and _ids(session, "访") == []
        assert _ids(session, "温室大棚") == [first] == _ids(session, "大棚") == _ids(session, "棚")
        assert _index_agrees(session, "东营市援疆") == []
        session.execute(sa.delete(Article).where(Article.id == first))
        session.commit()
        assert _ids(session, "温室大棚") == [] and _ids(session, "走进疏勒县") == [] and _ids(session, "棚") == []
        assert _index_agrees(session, "温室大棚") == []
        if session.get_bind().dialect.name == "sqlite":
            session.execute(sa.text("INSERT INTO article_grams(article_grams) VALUES ('integrity-check')"))
        else:
            assert session.execute(sa.text("SELECT count(*) FROM article_grams")).scalar_one() == 0


def _article(session: Session, key: str, title: str, body: str, **values: object) -> int:
    article = Article(
        url=f"http://example.test/{key}",
        canonical_url=f"http://example.test/{key}",
        content_hash=key,
        title=title,
        body=body,
        **values,
    )
    session.add(article)
    session.commit()
    assert article.id is not None
    return article.id


def test_the_migration_indexes_articles_stored_before_it(database_url: str) -> None:
    engine = db.get_engine(database_url)
    with engine.begin() as conn:
        cfg = db.alembic_config(database_url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    try:
        with Session(engine) as session:
            old = _article(session, "old", "旧文章", "援疆资金支持建设牧民定居点。" + FILLER)
    finally:
        db.upgrade(database_url)
    with Session(engine) as session:
        assert _ids(session, "牧民定居点") == [old] == _index_agrees(session, "牧民定居点")
        assert _ids(session, "牧民") == [old] == _ids(session, "牧")  # the bigram index is back-filled too


@pytest.fixture
def corpus(database_url: str) -> Iterator[tuple[Session, dict[str, int]]]:
    engine = db.get_engine(database_url)
    session = Session(engine)
    ids = {
        "often": _article(session, "often", "援疆干部人才风采", "援疆干部" + FILLER + "援疆干部援疆干部。" + FILLER),
        "once": _article(session, "once", "产业发展", FILLER * 4 + "一名援疆干部说。"),
        "short": _article(session, "short", "疏勒见闻", "在疏勒县，100%的村通了自来水。" + FILLER),
        "latin": _article(session, "latin", "远程EICU启用", "重症监护a_b系统上线。" + FILLER),
        "none": _article(session, "none", "无关", FILLER * 2),
    }
    yield session, ids
    session.close()


def test_search_ranks_by_relevance_and_marks_the_match(corpus: tuple[Session, dict[str, int]]) -> None:
    session, ids = corpus
    listing = query.articles(session, resolve(session, Filters(q="援疆干部")), limit=10)
    assert [r["id"] for r in listing.rows] == [ids["often"], ids["once"]] and listing.total == 2
    assert listing.rows[0]["score"] > listing.rows[1]["score"]
    # a score shows the digits that order rows, not fifteen of binary noise
    assert all(r["score"] == float(f"{r['score']:.4g}") for r in listing.rows)
    assert all("«援疆干部»" in r["snippet"] for r in listing.rows)


def test_traditional_queries_and_short_terms_find_simplified_text(corpus: tuple[Session, dict[str, int]]) -> None:
    session, ids = corpus
    assert _ids(session, "援疆幹部") == [ids["often"], ids["once"]]
    assert _ids(session, "疏勒") == [ids["short"]]  # two characters: below the trigram index, still found
    assert _ids(session, "勒") == [ids["short"]]
    assert _ids(session, "eicu") == [ids["latin"]] == _ids(session, "EICU")
    assert _ids(session, "疏勒 自来水") == [ids["short"]]  # every term
    assert _ids(session, "疏勒 援疆干部") == []
    assert _ids(session, "自来水。各族") == [ids["short"]]  # across a sentence end, which passages never span
    rows = query.articles(session, resolve(session, Filters(q="疏勒")), limit=5).rows
    assert "«疏勒»" in rows[0]["snippet"]


SHORT_TERMS = [
    *"援疆干部疏勒县水。，%_a0E\\",  # one character: Chinese, punctuation, wildcards, ASCII (case aside)
    *"闻用",  # the last character of a title: no bigram starts with it
    *[
        "疏勒",
        "援疆",
        "干部",
        "县，",
        "。各",
        "a_",
        "eI",
        "EI",
        "U启",
        "0%",
        "水。",
        "效。",
        "监护",
        "护a",
        "ab",
        "勒见",
    ],
]


@pytest.mark.parametrize("q", SHORT_TERMS)
def test_short_terms_find_exactly_the_articles_holding_them(corpus: tuple[Session, dict[str, int]], q: str) -> None:
    """One and two characters, answered by the bigram index (or a scan for ASCII punctuation on SQLite):
    the same articles as a literal test of every title and body, the last character of a text included."""
    session, ids = corpus
    holding = set()
    for i in ids.values():
        article = session.get(Article, i)
        assert article is not None
        if any(q.lower() in (text or "").lower() for text in (article.title, article.body)):
            holding.add(i)
    assert set(_ids(session, q)) == holding


def test_a_search_ranks_and_counts_a_bounded_number_of_the_newest_matches(
    corpus: tuple[Session, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, ids = corpus
    dialect = session.get_bind().dialect.name
    monkeypatch.setitem(search.RANKED, dialect, 2)
    every = query.articles(session, resolve(session, Filters(q="各族")), limit=10)  # all five hold it
    newest = sorted(ids.values())[-2:]
    assert every.more and every.total == 2 and sorted(r["id"] for r in every.rows) == newest
    assert every.rows[0]["score"] >= every.rows[1]["score"]
    both = query.articles(session, resolve(session, Filters(q="援疆干部")), limit=10)  # exactly the bound
    assert not both.more and both.total == 2 and [r["id"] for r in both.rows] == [ids["often"], ids["once"]]


@pytest.fixture
def spread(database_url: str) -> Iterator[tuple[Session, dict[str, list[int]]]]:
    """60 articles; 援疆干部 in every one, 远程会诊 in every fifth, 日喀则 in the first three only, and 疏附 (a
    bigram) with 援疆干部 in every other one: densities a search's newest-first ranges see differently."""
    session = Session(db.get_engine(database_url))
    holding: dict[str, list[int]] = {"援疆干部": [], "远程会诊": [], "日喀则": [], "疏附 援疆干部": []}
    for n in range(60):
        parts = ["援疆干部" + FILLER]
        if n % 5 == 0:
            parts.append("远程会诊" * (1 + n % 3) + FILLER)
        if n < 3:
            parts.append("日喀则。")
        if n % 2:
            parts.append("疏附县。")
        i = _article(session, f"spread-{n}", f"第{n}篇", "".join(parts))
        holding["援疆干部"].append(i)
        holding["远程会诊"] += [i] if n % 5 == 0 else []
        holding["日喀则"] += [i] if n < 3 else []
        holding["疏附 援疆干部"] += [i] if n % 2 else []
    yield session, holding
    session.close()


@pytest.mark.parametrize("q", ["援疆干部", "远程会诊", "日喀则", "疏附 援疆干部"])
@pytest.mark.parametrize("first", [1, 3])
def test_a_search_looking_among_the_newest_first_answers_as_a_search_of_everything(
    spread: tuple[Session, dict[str, list[int]]], monkeypatch: pytest.MonkeyPatch, q: str, first: int
) -> None:
    """PostgreSQL looks for the bounded matches among the newest ids first and widens the range while it holds
    too few: whatever the term's density, the rows, scores, count and 'more' are those of one whole search."""
    session, holding = spread
    dialect = session.get_bind().dialect.name
    monkeypatch.setitem(search.RANKED, dialect, 4)
    criteria = resolve(session, Filters(q=q))
    monkeypatch.setattr(search, "WINDOW_FIRST", 10_000)  # one range holding everything: the reference
    whole = query.articles(session, criteria, limit=3)
    monkeypatch.setattr(search, "WINDOW_FIRST", first)  # ranges of 4 or 12 newest ids, then wider
    tried: list[int | None] = []
    listing = query._listing

    def recorded(criteria: object, dialect: str, limit: int, floor: int | None = None) -> sa.Select:
        tried.append(floor)
        return listing(criteria, dialect, limit, floor)  # type: ignore[arg-type]

    monkeypatch.setattr(query, "_listing", recorded)
    windowed = query.articles(session, criteria, limit=3)
    assert windowed == whole
    newest = sorted(holding[q])[-5:]  # the bound (4) and one more say 'more'
    assert whole.total == min(4, len(holding[q])) and whole.more == (len(holding[q]) > 4)
    assert {r["id"] for r in whole.rows} <= set(newest)
    if dialect == "postgresql":
        assert tried[0] is not None and tried[-1] is None or whole.more  # a range first; all only if it must
        if q == "援疆干部" and first == 3:
            assert tried == [tried[0]]  # every article holds it: the first range is enough


@pytest.mark.parametrize("q", ["%", "_", "0%", "援%干部", "援_干部", "a%b", "\\"])
def test_wildcards_in_a_query_are_literal_characters(corpus: tuple[Session, dict[str, int]], q: str) -> None:
    session, ids = corpus
    holding = {
        k
        for k, i in ids.items()
        if q.lower() in (session.get(Article, i).body or "").lower()
        or q.lower() in (session.get(Article, i).title or "").lower()
    }
    assert set(_ids(session, q)) == {ids[k] for k in holding}
    assert _ids(session, "100%") == [ids["short"]] and _ids(session, "a_b") == [ids["latin"]]


@pytest.fixture
def placed(database_url: str) -> Iterator[tuple[Session, dict[str, int]]]:
    engine = db.get_engine(database_url)
    session = Session(engine)
    xj, ks = "新疆维吾尔自治区", "喀什地区"
    ids = {
        "shule": _article(
            session,
            "shule",
            "疏勒",
            FILLER,
            program="援疆",
            provider_province="山东省",
            provider_prefecture="东营市",
            recipient_province=xj,
            recipient_prefecture=ks,
            recipient_county="疏勒县",
            source_name="demo-a",
            published_at=datetime(2022, 12, 31, 16, 30, tzinfo=UTC),
        ),  # 2023-01-01 00:30 in Beijing
        "kashgar": _article(
            session,
            "kashgar",
            "喀什",
            FILLER,
            program="援疆",
            provider_province="广东省",
            recipient_province=xj,
            recipient_prefecture=ks,
            source_name="demo-b",
            published_at=datetime(2022, 12, 31, 15, 30, tzinfo=UTC),
        ),  # 2022-12-31 23:30
        "tibet": _article(
            session,
            "tibet",
            "西藏",
            FILLER,
            program="援藏",
            provider_province="上海市",
            recipient_province="西藏自治区",
            recipient_prefecture="日喀则市",
            source_name="demo-a",
            published_at=datetime(2024, 5, 1, tzinfo=UTC),
        ),
        "gulou": _article(
            session,
            "gulou",
            "鼓楼",
            FILLER,
            program="东西部协作",
            recipient_province="江苏省",
            recipient_prefecture="徐州市",
            recipient_county="鼓楼区",
            source_name="demo-b",
        ),
    }
    ids["copy"] = _article(
        session,
        "copy",
        "疏勒 转载",
        FILLER,
        program="援疆",
        recipient_province=xj,
        recipient_prefecture=ks,
        recipient_county="疏勒县",
        source_name="demo-b",
        duplicate_of=ids["shule"],
        published_at=datetime(2023, 1, 2, tzinfo=UTC),
    )
    session.add(
        Metric(
            article_id=ids["kashgar"],
            text="1200万元",
            start=0,
            end=6,
            sentence="投入1200万元。",
            value=1.2e7,
            unit="CNY",
            category="funding",
            money_kind="aid_funding",
        )
    )
    session.add(
        Metric(
            article_id=ids["tibet"],
            text="40名",
            start=0,
            end=3,
            sentence="选派40名。",
            value=40,
            unit="person",
            category="personnel",
        )
    )
    session.commit()
    yield session, ids
    session.close()


def _listed(session: Session, **given: object) -> set[str]:
    listing = query.articles(session, resolve(session, Filters(**given)), limit=100)  # type: ignore[arg-type]
    assert listing.total == len(listing.rows)
    return {row["title"] for row in listing.rows}


def test_places_match_at_any_level_by_full_or_short_name(placed: tuple[Session, dict[str, int]]) -> None:
    session, _ = placed
    assert _listed(session, recipient="新疆") == {"疏勒", "喀什"}
    assert _listed(session, recipient="喀什地区") == {"疏勒", "喀什"}
    assert _listed(session, recipient="疏勒") == {"疏勒"}
    assert _listed(session, recipient="疏勒縣") == {"疏勒"}  # Traditional is converted
    assert _listed(session, recipient="鼓楼区") == {"鼓楼"}  # four units share the name; the stored one matches
    assert _listed(session, provider="东营") == {"疏勒"}
    assert _listed(session, provider="山东") == {"疏勒"}
    assert _listed(session, recipient="河南省") == set()  # a real place with no article: an empty result


def test_program_source_dates_category_and_copies(placed: tuple[Session, dict[str, int]]) -> None:
    session, _ = placed
    assert _listed(session, program="援疆") == {"疏勒", "喀什"}
    assert _listed(session, program="援疆", duplicates=True) == {"疏勒", "喀什", "疏勒 转载"}
    assert _listed(session, source="demo-a") == {"疏勒", "西藏"}
    assert _listed(session, since="2023") == {"疏勒", "西藏"}  # days are Beijing days
    assert _listed(session, until="2022-12-31") == {"喀什"}
    assert _listed(session, since="2023-01", until="2023-01") == {"疏勒"}
    assert _listed(session, category="funding") == {"喀什"}
    assert _listed(session, category="personnel", program="援疆") == set()
    copy = query.articles(session, resolve(session, Filters(q="转载", duplicates=True)), limit=5).rows
    assert copy[0]["duplicate_of"] is not None


@pytest.mark.parametrize(
    ("given", "message", "listed"),
    [
        ({"program": "支援"}, "unknown program '支援'", "援疆, 援藏, 援青, 东西部协作, 定点帮扶, 对口支援"),
        ({"category": "fundng"}, "unknown category 'fundng'", "funding"),
        ({"unit": "dollars"}, "unknown unit 'dollars'", "CNY"),
        ({"source": "demo-c"}, "unknown source 'demo-c'", "demo-a, demo-b"),
        ({"recipient": "火星"}, "unknown recipient '火星'", "喀什地区"),
        ({"provider": "月球"}, "unknown provider '月球'", "山东省"),
        ({"since": "2024", "until": "2023"}, "is after", ""),
    ],
)
def test_an_invalid_value_is_refused_listing_the_valid_ones(
    placed: tuple[Session, dict[str, int]], given: dict[str, str], message: str, listed: str
) -> None:
    session, _ = placed
    with pytest.raises(InvalidFilter, match=message) as raised:
        resolve(session, Filters(**given))
    assert listed in str(raised.value)


def test_metric_listings_and_totals_take_the_same_filters(placed: tuple[Session, dict[str, int]]) -> None:
    session, ids = placed
    figures = query.metrics(session, resolve(session, Filters(recipient="喀什", category="funding")))
    assert figures.total == 1 and figures.rows[0]["article_id"] == ids["kashgar"]
    assert query.metrics(session, resolve(session, Filters(since="2024"))).total == 1
    totals = query.grouped_metrics(session, "program", resolve(session, Filters(unit="CNY")))
    assert [(r["program"], r["total"]) for r in totals] == [("援疆", 1.2e7)]
    with pytest.raises(ValueError, match="--duplicates"):
        query.grouped_metrics(session, "program", resolve(session, Filters(duplicates=True)))


def test_one_article_whole(placed: tuple[Session, dict[str, int]]) -> None:
    session, ids = placed
    shown = query.article(session, ids["shule"])
    assert shown is not None
    assert shown["body"] == FILLER and shown["quality"]["copies"] == [ids["copy"]]
    assert shown["recipient"] == "新疆维吾尔自治区 喀什地区 疏勒县" and shown["url"].endswith("/shule")
    tibet = query.article(session, ids["tibet"])
    assert tibet is not None and [(f["text"], f["sentence"]) for f in tibet["figures"]] == [("40名", "选派40名。")]
    assert query.article(session, 10**6) is None


def test_a_writer_without_the_bigram_function_is_refused_not_left_out_of_step(sqlite_url: str) -> None:
    """SQLite computes bigrams in a function each aidnews connection registers: a process writing articles
    without it gets an error naming it, and the article and its index stay as they were."""
    with Session(db.get_engine(sqlite_url)) as session:
        kept = _article(session, "kept", "疏勒见闻", FILLER)
    db.get_engine(sqlite_url).dispose()
    path = sqlite_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as plain:
        with pytest.raises(sqlite3.OperationalError, match="aidnews_grams"):
            plain.execute("UPDATE article SET title = '喀什' WHERE id = ?", (kept,))
    with closing(sqlite3.connect(path)) as registered:
        grams.register(registered)
        registered.execute("UPDATE article SET title = '喀什见闻' WHERE id = ?", (kept,))
        registered.commit()
    with Session(db.get_engine(sqlite_url)) as session:
        assert _ids(session, "疏勒") == [] and _ids(session, "喀什") == [kept] == _ids(session, "喀")
