"""The two parts of a batch write on PostgreSQL (etl.store.claims), driven step by step on two connections.

The end-to-end tests (test_etl_workers.py) show that workers give one worker's result, but whether two batches
ever meet in the one bad order is up to timing. Here the orders are forced: a batch that inserts before another
and commits after it, which is where a revision drawn before the write lock would let a catch-up skip a row;
two batches with one canonical URL, which must wait for each other; and a batch between its parts, which must
not hold up another batch's serial tail.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from stored import page_row

from etl.dedup import DuplicateIndex
from etl.extract import EXTRACTOR_VERSION, extract
from etl.process import etl_pass
from etl.store import engine as db
from etl.store.articles import NEAR_DUPLICATE_DISTANCE, ExtractedPage, store_articles
from etl.store.claims import Candidate, Claims, article_t, claim, page_t, refresh_index, restamp
from etl.store.models import Page
from etl.store.pages import PageOutcome, PageState, record_outcomes

pytestmark = pytest.mark.postgres

PARAGRAPH = (
    "援疆前方指挥部今年投入援疆资金{n}万元，实施民生项目{m}个，带动当地群众就业{m}00余人。对口支援工作持续推进。"
)


def page_html(n: int) -> bytes:
    body = "".join(f"<p>{PARAGRAPH.format(n=n * 7 + i, m=n + i)}</p>" for i in range(6))
    return (
        f"<html><head><title>援疆项目第{n}批落地</title></head><body><h1>援疆项目第{n}批落地</h1>"
        f"<div class='date'>2024-05-0{n % 9 + 1} 10:00</div><article>{body}</article></body></html>"
    ).encode()


def add_pages(engine: sa.Engine, count: int) -> list[Page]:
    with Session(engine) as session:
        pages = []
        for n in range(1, count + 1):
            page = page_row(f"http://aid.example.cn/{n}.html", page_html(n), source=None)
            session.add(page)
            session.flush()
            pages.append(page)
        session.commit()
        for page in pages:
            session.refresh(page)
            session.expunge(page)
    return pages


def first_part(session: Session, claims: Claims, page: Page, key: str | None = None) -> int:
    """Admit one claimed page and insert its article, as _write_batch does before the write lock."""
    x = extract(zlib.decompress(page.body), url=page.final_url, content_type=page.content_type)
    x.canonical_url = key or page.final_url
    assert page.id is not None
    admission = claims.admit(session.connection(), [Candidate(page.id, page.fetched_at, x.canonical_url)])
    assert admission.owned == {page.id}
    [article_id] = store_articles(session, [ExtractedPage(page, x)])
    record_outcomes(session.connection(), [PageOutcome(page.id, PageState.DONE)], EXTRACTOR_VERSION)
    return article_id


def revision(session: Session, article_id: int) -> int:
    return session.execute(sa.select(article_t.c.dedup_rev).where(article_t.c.id == article_id)).scalar_one()


def test_a_batch_that_draws_its_revision_first_and_commits_last_is_caught_up(postgres_url: str) -> None:
    engine = db.get_engine(postgres_url)
    first_page, second_page = add_pages(engine, 2)
    a, b = Claims(worker="test:1:a"), Claims(worker="test:2:b")
    with engine.begin() as conn:
        assert claim(conn, a.worker, 1, 600) == [first_page.id]
        assert claim(conn, b.worker, 1, 600) == [second_page.id]
    with Session(engine) as one, Session(engine) as two, engine.connect() as watcher:
        article_a = first_part(one, a, first_page)
        early = revision(one, article_a)
        article_b = first_part(two, b, second_page)
        assert revision(two, article_b) > early  # b's insert drew its revision after a's

        b.lock(two.connection(), DuplicateIndex(NEAR_DUPLICATE_DISTANCE), [article_b])
        restamp(two.connection(), [article_b])
        two.commit()
        b.committed()

        watching = DuplicateIndex(NEAR_DUPLICATE_DISTANCE)
        seen = refresh_index(watcher, watching, 0)
        watcher.commit()
        assert set(watching.entries) == {article_b}
        assert seen > early  # a's pre-lock revision is behind what the watcher has now seen

        a.lock(one.connection(), DuplicateIndex(NEAR_DUPLICATE_DISTANCE), [article_a])
        restamp(one.connection(), [article_a])
        one.commit()
        a.committed()

        assert refresh_index(watcher, watching, seen) > seen
        assert set(watching.entries) == {article_a, article_b}  # "rows past the newest revision seen" held a's


def test_batches_with_one_canonical_url_wait_for_each_other(postgres_url: str) -> None:
    engine = db.get_engine(postgres_url)
    lower, higher = add_pages(engine, 2)
    a, b = Claims(worker="test:1:a"), Claims(worker="test:2:b")
    with engine.begin() as conn:
        assert claim(conn, b.worker, 1, 600) == [lower.id]
        assert claim(conn, a.worker, 1, 600) == [higher.id]
    shared = "http://aid.example.cn/shared.html"
    with Session(engine) as one, Session(engine) as two:
        first_part(one, a, higher, shared)
        two.execute(sa.text("SET LOCAL lock_timeout = '300ms'"))
        with pytest.raises(sa.exc.OperationalError, match="lock timeout"):  # in admit, before inserting anything
            b.admit(two.connection(), [Candidate(lower.id or 0, lower.fetched_at, shared)])
        two.rollback()
        a.lock(one.connection(), DuplicateIndex(NEAR_DUPLICATE_DISTANCE))
        one.commit()
        # Now the URL is free, and the lower page, fetched before the higher one was processed, is superseded.
        admission = b.admit(two.connection(), [Candidate(lower.id or 0, lower.fetched_at, shared)])
        assert admission.owned == {lower.id} and admission.superseded == {lower.id}
        two.rollback()


def test_a_batch_before_the_write_lock_does_not_hold_up_another_batchs_tail(postgres_url: str) -> None:
    engine = db.get_engine(postgres_url)
    first_page, second_page = add_pages(engine, 2)
    a, b = Claims(worker="test:1:a"), Claims(worker="test:2:b")
    with engine.begin() as conn:
        claim(conn, a.worker, 1, 600)
        claim(conn, b.worker, 1, 600)
    with Session(engine) as one, Session(engine) as two:
        first_part(one, a, first_page)  # a's articles, figures and passages are written; a waits to lock
        article_b = first_part(two, b, second_page)
        two.execute(sa.text("SET LOCAL lock_timeout = '300ms'"))  # b must not wait for a at all
        b.lock(two.connection(), DuplicateIndex(NEAR_DUPLICATE_DISTANCE), [article_b])
        restamp(two.connection(), [article_b])
        two.commit()
        one.execute(sa.text("SET LOCAL lock_timeout = '300ms'"))  # nor a, once b has committed, for b
        a.lock(one.connection(), DuplicateIndex(NEAR_DUPLICATE_DISTANCE))
        one.commit()


def test_a_pass_draws_the_revisions_of_what_it_inserted_again_under_the_lock(postgres_url: str) -> None:
    """The same order as the first test, through etl_pass: a pass that inserted before another and takes the
    write lock after it has committed must not leave its rows behind the revision a watcher has seen."""
    engine = db.get_engine(postgres_url)
    add_pages(engine, 2)
    inserted, go = threading.Event(), threading.Event()

    class Held(Claims):
        def lock(self, conn: sa.Connection, index: DuplicateIndex, own: Sequence[int] = ()) -> int:
            inserted.set()  # its article is inserted; the write lock is not taken yet
            assert go.wait(120)
            return super().lock(conn, index, own)

    runs = {}

    def slow_pass() -> None:
        runs["slow"] = etl_pass(engine=engine, batch_size=1, workers=1, claims=Held(worker="test:1:slow"))

    slow = threading.Thread(target=slow_pass)
    slow.start()
    try:
        assert inserted.wait(120)
        fast = etl_pass(engine=engine, batch_size=1, workers=1, claims=Claims(worker="test:2:fast"))
        assert fast.status == "ok" and fast.counts["pages"] == 1  # the other page: the slow pass holds its own
        with engine.connect() as watcher:
            watching = DuplicateIndex(NEAR_DUPLICATE_DISTANCE)
            seen = refresh_index(watcher, watching, 0)
            watcher.commit()
            assert len(watching.entries) == 1
            go.set()
            slow.join(120)
            assert runs["slow"].status == "ok" and runs["slow"].counts["pages"] == 1
            refresh_index(watcher, watching, seen)
            assert len(watching.entries) == 2  # the slow pass's article was drawn a revision past `seen`
    finally:
        go.set()
        slow.join(120)


def test_a_batch_whose_lease_ran_out_and_was_claimed_again_writes_nothing(postgres_url: str) -> None:
    """The next claimant's write alone counts: the late batch is left none of its pages, and their claims stay."""
    engine = db.get_engine(postgres_url)
    late_page, mine = add_pages(engine, 2)
    late, next_one = Claims(worker="test:1:late"), Claims(worker="test:2:next")
    with engine.begin() as conn:
        assert claim(conn, late.worker, 2, 600) == [late_page.id, mine.id]
        expired = sa.func.now() - sa.text("interval '1 second'")  # its lease ran out
        conn.execute(sa.update(page_t).where(page_t.c.id == late_page.id).values(claimed_until=expired))
        assert claim(conn, next_one.worker, 5, 600) == [late_page.id]
    with Session(engine) as session:
        admission = late.admit(
            session.connection(),
            [Candidate(p.id or 0, p.fetched_at, p.final_url) for p in (late_page, mine)],
        )
        assert admission.owned == {mine.id}
        session.commit()
    with engine.connect() as conn:
        held = dict(conn.execute(sa.text("SELECT id, claimed_by FROM page")).all())
    assert held == {late_page.id: next_one.worker, mine.id: None}  # the next claimant keeps its page
