"""Articles an older extractor built: the ETL brings them up to date by itself, and says what is still behind.

Why: the extractor improves after articles are stored (money kinds came after the first articles; the body
chooser changes). ``aidnews etl --reprocess`` rebuilds everything at once, but a user who upgrades and never
runs it would keep incomplete data without a word: figures stored before the money kinds have none, so aid
funding totals leave them out. So every ETL pass puts back in its queue a bounded batch of the pages behind
articles that an older extractor read (oldest extraction first), and the pass extracts them like any pending
page; ``aidnews status`` says how many articles still wait, and status, report and totals say how many money
figures are not classified yet and so are left out of the totals.

A page is re-read from the raw bytes it was stored with and written under the same canonical URL: the article
keeps its id, and a re-extraction of the same page is not a correction, so no article version is kept
(etl.store.versions); duplicate links are recomputed from the same hashes and stay as they were unless the new
extraction changes the text. Only pages an article was built from are taken: an older version of a page, or a
page another URL's article replaced, would overwrite the article with what the site no longer shows.

Extractor versions are whole numbers written as text (``etl.extract.EXTRACTOR_VERSION``); a version is older
when it has fewer digits, or as many and sorts lower; an empty one (a row written before versions were kept)
is the oldest. A version that is not a number (a benchmark's label) counts as newer, so it is never taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from etl.store.models import Article, Metric, Page
from etl.store.pages import PageState

# Pages a pass re-extracts at most, besides the new ones. Measured with the demo portal's pages stored 1,000
# times (bench/bench_etl.py's page set) on the 2-core build machine while other test runs kept its load average
# at 11: a pass re-extracted and rewrote 500 stale pages in 65 s with its two extraction processes, about
# 8 pages/s (a first pass over new pages ran at 9). So the batch stays a small share of the default 15-minute
# interval even on a loaded machine; 100,000 stale articles take 200 passes (two days at the default
# interval), and ``aidnews etl --reprocess`` does it at once for whoever wants it sooner.
STALE_PER_PASS = 500
YUAN = "CNY"
UNCLASSIFIED = "unclassified"  # the kind totals show for money an older extractor stored without one
NO_KIND_CATEGORY = "other"  # the category of money of none of the kinds; older extractors never gave it to yuan


def older_than(column: Mapped[str] | Mapped[str | None], version: str) -> ColumnElement[bool]:
    """``column`` holds an extractor version older than ``version`` (module docstring); NULL is never older."""
    if not version.isdigit():
        raise ValueError(f"extractor versions are whole numbers written as text, not {version!r}")
    digits = len(version)
    length = sa.func.length(column)
    return sa.or_(length < digits, sa.and_(length == digits, column < version))


def _stale_pages(version: str) -> sa.Select[int | None]:
    """The pages behind articles whose page an older extractor read, the oldest extraction first."""
    return (
        sa.select(col(Page.id))
        .join(Article, col(Article.page_id) == col(Page.id))
        .where(
            older_than(col(Page.extractor_version), version),
            col(Page.etl_status) != PageState.PENDING,
            col(Page.kind) == "article",
            col(Page.status) == 200,
        )
        .order_by(col(Page.processed_at), col(Page.id))
    )


def requeue_stale(engine: sa.Engine, version: str, limit: int = STALE_PER_PASS) -> list[int]:
    """Put back in the ETL queue up to ``limit`` pages whose articles an older extractor built; their ids."""
    if limit <= 0:
        return []
    with engine.begin() as conn:
        ids = [page_id for page_id in conn.execute(_stale_pages(version).limit(limit)).scalars() if page_id]
        if ids:
            conn.execute(
                sa.update(Page).where(col(Page.id).in_(ids)).values(etl_status=PageState.PENDING, etl_error=None)
            )
    return ids


def count_stale(engine: sa.Engine, version: str) -> int:
    """Pages whose articles an older extractor built and that are not already waiting in the queue."""
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(_stale_pages(version).subquery())).scalar_one()


def catch_up(engine: sa.Engine, version: str, limit: int | None) -> dict[str, int]:
    """An ETL pass's share of the catching up: requeue a bounded batch of stale pages; the run counts to record.

    The pass then extracts them with its other pending pages (all of them, unless it is stopped or limited:
    what it leaves stays pending for the next pass). ``limit`` is the pass's own page limit, if any.
    """
    requeued = requeue_stale(engine, version, STALE_PER_PASS if limit is None else min(limit, STALE_PER_PASS))
    return {"stale_requeued": len(requeued)} if requeued else {}


def unclassified_money() -> ColumnElement[bool]:
    """Yuan figures without a money kind that an older extractor stored: not yet classified.

    The current extractor leaves the kind empty only for money of none of the kinds, and files that under the
    category ``other``; the extractors before the kinds filed every yuan figure under funding, investment,
    output or income. So an empty kind outside ``other`` is a figure no kind-aware extractor has read yet.
    """
    return sa.and_(col(Metric.unit) == YUAN, col(Metric.money_kind).is_(None), col(Metric.category) != NO_KIND_CATEGORY)


def count_unclassified(session: Session | sa.Connection, *conditions: ColumnElement[bool]) -> int:
    """Unclassified money figures of primary articles, under further conditions on ``article`` and ``metric``."""
    query = (
        sa.select(sa.func.count(col(Metric.id)))
        .join(Article, col(Article.id) == col(Metric.article_id))
        .where(unclassified_money(), col(Article.duplicate_of).is_(None), *conditions)
    )
    return session.execute(query).scalar_one()


@dataclass(frozen=True)
class Staleness:
    """What an older extractor left in the database, for ``aidnews status``."""

    version: str  # the current extractor's
    awaiting: int  # articles whose page an older extractor read: the ETL rebuilds them, STALE_PER_PASS a pass
    left_behind: int  # articles from an older extractor whose page the current one read without rebuilding them
    unclassified_money: int  # yuan figures of primary articles not classified yet: totals leave them out

    @property
    def behind(self) -> bool:
        return bool(self.awaiting or self.left_behind or self.unclassified_money)


def staleness(session: Session, version: str) -> Staleness:
    """How far the stored articles are behind extractor ``version``."""
    old_article = older_than(col(Article.extractor_version), version)
    awaiting, left_behind = session.execute(
        sa.select(
            sa.func.count(col(Article.id)).filter(older_than(col(Page.extractor_version), version)),
            sa.func.count(col(Article.id)).filter(sa.not_(older_than(col(Page.extractor_version), version))),
        )
        .join(Page, col(Page.id) == col(Article.page_id))
        .where(old_article)
    ).one()
    return Staleness(version, awaiting, left_behind, count_unclassified(session))


def unclassified_note(count: int) -> str:
    """The warning shown beside totals while money figures wait for classification."""
    return (
        f"{count:,} money figure{'s' if count != 1 else ''} not yet classified (stored by an older extractor); "
        "totals exclude them until the ETL re-extracts their pages (or run: aidnews etl --reprocess)"
    )


def describe(found: Staleness) -> list[str]:
    """Lines for ``aidnews status``: what waits for re-extraction, and what the totals leave out meanwhile."""
    lines = []
    if found.awaiting:
        lines.append(
            f"{found.awaiting:,} article{'s' if found.awaiting != 1 else ''} await re-extraction by extractor "
            f"version {found.version}: each ETL pass takes up to {STALE_PER_PASS:,}"
        )
    if found.left_behind:
        lines.append(
            f"{found.left_behind:,} article{'s' if found.left_behind != 1 else ''} from an older extractor were not "
            "rebuilt by the current one (their page now fails, is skipped, or is stored under another URL)"
        )
    if found.unclassified_money:
        lines.append(unclassified_note(found.unclassified_money))
    return lines
