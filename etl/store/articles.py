"""Articles and their metrics: set-wise upserts keyed by canonical URL, and the duplicate links between them.

A batch of extracted pages becomes a handful of statements, whatever its size (see `store_articles`).
Syndicated copies are linked, not dropped: `article.duplicate_of` points every exact copy (same content
hash) and near copy (SimHash within `NEAR_DUPLICATE_DISTANCE` bits) at the earliest article of its group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, col

from etl.dedup import DuplicateIndex
from etl.metrics.changes import changes_per_article
from etl.store.models import Article, Metric, Page, table_of, utcnow
from etl.store.versions import keep_superseded

if TYPE_CHECKING:
    from etl.extract import Extraction

NEAR_DUPLICATE_DISTANCE = 10  # SimHash bits: on the test portal, copies differ by 0-6, other articles by 15+


@dataclass(frozen=True)
class ExtractedPage:
    """A stored page and the article extracted from it, on its way into the `article` table."""

    page: Page
    extraction: Extraction

    @property
    def key(self) -> str:
        """The canonical URL the article is stored under."""
        return self.extraction.canonical_url or self.page.final_url


@dataclass(frozen=True)
class StoredArticle:
    """An article row just written, with the extraction it was written from."""

    article_id: int
    extraction: Extraction
    page_id: int | None = None  # the page it was extracted from: the tie-break between copies published together


def article_values(page: Page, x: Extraction) -> dict[str, Any]:
    """The `article` row for one extraction of one page."""
    e = x.entities
    provider, recipient = e.provider, e.recipient
    return {
        "page_id": page.id,
        "source_name": page.source_name,
        "url": page.final_url,
        "canonical_url": x.canonical_url or page.final_url,
        "title": x.title,
        "subtitle": x.subtitle,
        "published_at": x.published_at,
        "news_source": x.source,
        "author": x.author,
        "editor": x.editor,
        "body": x.body,
        "body_original": x.body_original,
        "script": x.script,
        "pinyin_stripped": x.pinyin_stripped,
        "garbled_found": x.garbled_found,
        "garbled_repaired": x.garbled_repaired,
        "garbled_spans": x.garbled_spans,
        "images": x.images,
        "content_hash": x.content_hash,
        "simhash": x.simhash,
        "program": e.program,
        "provider_province": provider.province if provider else None,
        "provider_prefecture": provider.prefecture if provider else None,
        "provider_county": provider.county if provider else None,
        "provider_inferred": bool(provider and provider.inferred),
        "recipient_province": recipient.province if recipient else None,
        "recipient_prefecture": recipient.prefecture if recipient else None,
        "recipient_county": recipient.county if recipient else None,
        "recipient_inferred": bool(recipient and recipient.inferred),
        "batch": e.batch,
        "period_start": e.period_start,
        "period_end": e.period_end,
        "topics": list(e.topics),
        "extractor_version": x.extractor_version,
        "updated_at": utcnow(),
    }


def store_articles(session: Session, items: Sequence[ExtractedPage], changes: Counter[str] | None = None) -> list[int]:
    """Insert or replace the articles of a batch (keyed by canonical URL) and replace their metrics.

    Set-wise: one query finds the existing articles, one statement inserts the new ones, one updates the
    others, one deletes their old metrics and one inserts all metrics; an update that corrects an article
    (a new version of its page) first keeps the old extraction (etl.store.versions). Returns the article
    ids, in order. ``changes``, when given, counts what the new extractions of replaced articles changed: titles,
    body characters (`changed_characters`) and figures (etl.metrics.changes).
    """
    latest = {item.key: item for item in items}  # two pages with one canonical URL in a batch: the later one wins
    values = {key: article_values(item.page, item.extraction) for key, item in latest.items()}
    existing: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            sa.select(col(Article.canonical_url), col(Article.id)).where(col(Article.canonical_url).in_(list(values)))
        ).all()
    )
    replaced = [dict(v, _id=existing[key]) for key, v in values.items() if key in existing]
    fresh = [v for key, v in values.items() if key not in existing]
    if fresh:
        inserted = session.execute(
            sa.insert(Article).returning(col(Article.id), col(Article.canonical_url), sort_by_parameter_order=True),
            fresh,
        ).all()
        existing.update({url: article_id for article_id, url in inserted})
    if replaced:
        if changes is not None:
            changes.update(_text_changes(session, replaced))
        keep_superseded(
            session,
            {
                r["_id"]: dict(r, metrics=[asdict(m) for m in latest[r["canonical_url"]].extraction.metrics])
                for r in replaced
            },
        )
        table = table_of(Article)  # Core statements: executemany, not the ORM's bulk-by-primary-key mode
        columns: dict[str, sa.BindParameter[Any]] = {k: sa.bindparam(k) for k in replaced[0] if k != "_id"}
        session.connection().execute(
            table.update().where(table.c.id == sa.bindparam("_id")).values(**columns), replaced
        )
        replaced_ids = [r["_id"] for r in replaced]
        if changes is not None:
            old = session.execute(
                sa.select(
                    col(Metric.article_id),
                    col(Metric.text),
                    col(Metric.start),
                    col(Metric.value),
                    col(Metric.unit),
                    col(Metric.category),
                    col(Metric.money_kind),
                ).where(col(Metric.article_id).in_(replaced_ids))
            ).all()
            new = {
                existing[key]: item.extraction.metrics for key, item in latest.items() if existing[key] in replaced_ids
            }
            changes.update(changes_per_article(((row.article_id, row) for row in old), new))
        session.execute(sa.delete(Metric).where(col(Metric.article_id).in_(replaced_ids)))
    metric_rows = [
        dict(asdict(m), article_id=existing[key]) for key, item in latest.items() for m in item.extraction.metrics
    ]
    if metric_rows:
        session.execute(sa.insert(Metric), metric_rows)
    return [existing[item.key] for item in items]


def changed_characters(old: str, new: str) -> int:
    """How many characters a new text changed: the longer side of what lies between the common start and end.

    One linear pass, not a diff: a repair of three characters in a 5,000-character body counts 3, and a body
    rewritten throughout counts its length. Enough to say how much a re-extraction changed.
    """
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[-1 - end] == new[-1 - end]:
        end += 1
    return max(len(old) - start - end, len(new) - start - end)


def _text_changes(session: Session, replaced: Sequence[dict[str, Any]]) -> Counter[str]:
    """What the new extractions change in the stored titles and bodies: articles and characters."""
    before = {
        row.id: row
        for row in session.execute(
            sa.select(col(Article.id), col(Article.title), col(Article.body)).where(
                col(Article.id).in_([r["_id"] for r in replaced])
            )
        )
    }
    out: Counter[str] = Counter()
    for new in replaced:
        old = before.get(new["_id"])
        if old is None:
            continue
        if (old.title or "") != (new.get("title") or ""):
            out["titles_changed"] += 1
        chars = changed_characters(old.body or "", new.get("body") or "")
        if chars:
            out["bodies_changed"] += 1
            out["body_chars_changed"] += chars
    return out


def load_duplicate_index(session: Session) -> DuplicateIndex:
    """Every stored article's hashes and current duplicate link, for an ETL pass to extend."""
    index = DuplicateIndex(NEAR_DUPLICATE_DISTANCE)
    rows = session.execute(
        sa.select(
            col(Article.id),
            col(Article.content_hash),
            col(Article.simhash),
            col(Article.published_at),
            col(Article.page_id),
            col(Article.duplicate_of),
        )
    )
    for article_id, content_hash, sim, published, page_id, duplicate_of in rows:
        index.add(article_id, content_hash, sim, primary_key(published, page_id, article_id), duplicate_of)
    return index


def primary_key(published: datetime | None, page_id: int | None, article_id: int) -> tuple:
    """How copies are ordered, the first being the primary: the earliest published, then the lowest page id.

    The page id, not the article id, breaks ties: article ids follow the order in which articles were first
    written, which differs between ETL workers running at once, while page ids are fixed when the crawl stores
    the pages. With one ETL process both orders are the same (pages are processed in id order).
    """
    return (published or datetime.max.replace(tzinfo=UTC), page_id if page_id is not None else article_id, article_id)


def mark_duplicates(session: Session, index: DuplicateIndex, stored: Sequence[StoredArticle]) -> int:
    """Point exact copies (content hash) and near copies (SimHash) of each article at the earliest one.

    Only rows whose primary changes are written. Returns how many of `stored` are copies.
    """
    changes: dict[int, int | None] = {}
    latest = {article.article_id: article for article in stored}
    for article_id, article in latest.items():
        x = article.extraction
        index.add(
            article_id,
            x.content_hash,
            x.simhash,
            primary_key(x.published_at, article.page_id, article_id),
            index.duplicate_of(article_id),
        )
        group = index.group(article_id)
        primary = group[0]
        for member in group:
            wanted = None if member == primary else primary
            if index.duplicate_of(member) != wanted:
                index.set_duplicate_of(member, wanted)
                changes[member] = wanted
    if changes:
        table = table_of(Article)
        session.connection().execute(
            table.update().where(table.c.id == sa.bindparam("_id")).values(duplicate_of=sa.bindparam("_dup")),
            [{"_id": member, "_dup": target} for member, target in changes.items()],
        )
    return sum(1 for article in stored if index.duplicate_of(article.article_id) is not None)
