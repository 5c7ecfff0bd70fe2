"""Article versions: what an article said before a corrected page replaced it, and what changed since.

Portals correct figures and titles after publication. The article keeps its id (reports, exports and
duplicate links point at it) and always holds the newest extraction; before a new version of the same page
overwrites it, `keep_superseded` copies the old extraction (title, date, body, figures) into
`article_version`, in the caller's transaction. A re-extraction of the same page (a new extractor) or a
page of another URL stored under the same canonical key is not a correction and adds no version.
`history` and `compare` read them back for `aidnews article ID --versions`.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from etl.store.models import Article, ArticleVersion, Metric, Page, utcnow

METRIC_FIELDS = ("text", "value", "value_max", "unit", "qualifier", "category", "subject")


def keep_superseded(session: Session, replacing: Mapping[int, Mapping[str, Any]]) -> int:
    """Copy into `article_version` each article that `replacing` (article id -> new row values) corrects.

    An article counts as corrected when the new values come from another version of the same page URL and
    differ in title, publication time, body or figures. Returns how many versions were kept.
    """
    if not replacing:
        return 0
    ids = list(replacing)
    old_rows = session.execute(
        sa.select(
            col(Article.id),
            col(Article.page_id),
            col(Article.title),
            col(Article.published_at),
            col(Article.body),
            col(Article.content_hash),
            col(Article.extractor_version),
            col(Article.updated_at),
            col(Page.url),
        )
        .join(Page, col(Page.id) == col(Article.page_id))
        .where(col(Article.id).in_(ids))
    ).all()
    if not old_rows:
        return 0
    new_page_urls = dict(
        session.execute(
            sa.select(col(Page.id), col(Page.url)).where(
                col(Page.id).in_({v["page_id"] for v in replacing.values() if v.get("page_id") is not None})
            )
        ).all()
    )
    figures = _figures(session, [row.id for row in old_rows])
    kept = []
    for row in old_rows:
        new = replacing[row.id]
        if new.get("page_id") == row.page_id or new_page_urls.get(new.get("page_id")) != row.url:
            continue  # the same page extracted again, or another page under this canonical URL
        new_figures = [{k: m.get(k) for k in METRIC_FIELDS} for m in new.get("metrics", ())]
        if (row.title, row.content_hash, row.published_at) == (
            new.get("title"),
            new.get("content_hash"),
            new.get("published_at"),
        ) and _figure_keys(figures.get(row.id, [])) == _figure_keys(new_figures):
            continue
        kept.append(
            {
                "article_id": row.id,
                "page_id": row.page_id,
                "title": row.title,
                "published_at": row.published_at,
                "body": row.body,
                "content_hash": row.content_hash,
                "body_length": len(row.body),
                "metrics": [_stored(f) for f in figures.get(row.id, [])],
                "extractor_version": row.extractor_version,
                "extracted_at": row.updated_at,
                "superseded_at": utcnow(),
            }
        )
    if kept:
        session.execute(sa.insert(ArticleVersion), kept)
    return len(kept)


def _stored(figure: Mapping[str, Any]) -> dict[str, Any]:
    """A figure as the JSON column keeps it: exact values as their decimal text (JSON has no decimals)."""
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in figure.items()}


def _exact(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _figures(session: Session, article_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    rows = session.execute(sa.select(Metric).where(col(Metric.article_id).in_(article_ids)).order_by(col(Metric.start)))
    for metric in rows.scalars():
        out.setdefault(metric.article_id, []).append({k: getattr(metric, k) for k in METRIC_FIELDS})
    return out


def _figure_keys(figures: Sequence[Mapping[str, Any]]) -> Counter[tuple[Any, ...]]:
    return Counter(
        (_exact(f.get("value")), _exact(f.get("value_max")), f.get("unit"), f.get("category"), f.get("subject"))
        for f in figures
    )


@dataclass(frozen=True)
class Version:
    """One extraction of an article: a superseded one, or the current one (`current`)."""

    number: int  # 1 = the first extraction kept
    title: str | None
    published_at: datetime | None
    body: str
    figures: tuple[Mapping[str, Any], ...]
    extracted_at: datetime | None
    superseded_at: datetime | None  # None for the current version
    page_id: int | None

    @property
    def current(self) -> bool:
        return self.superseded_at is None


@dataclass(frozen=True)
class FigureChange:
    """A figure of the older version whose value the newer one states differently."""

    before: str
    after: str
    unit: str
    category: str


@dataclass(frozen=True)
class Change:
    """What one version changed against the one before it."""

    title_before: str | None
    title_after: str | None
    body_added: int  # characters
    body_removed: int
    figures_added: tuple[str, ...]  # metric texts
    figures_removed: tuple[str, ...]
    figures_changed: tuple[FigureChange, ...]
    published_before: datetime | None
    published_after: datetime | None

    @property
    def title_changed(self) -> bool:
        return self.title_before != self.title_after


def history(session: Session, article_id: int) -> list[Version]:
    """Every kept version of an article, oldest first, ending with the current one; [] for no such article."""
    article = session.get(Article, article_id)
    if article is None:
        return []
    kept = (
        session.execute(
            sa.select(ArticleVersion)
            .where(col(ArticleVersion.article_id) == article_id)
            .order_by(col(ArticleVersion.superseded_at), col(ArticleVersion.id))
        )
        .scalars()
        .all()
    )
    versions = [
        Version(n, v.title, v.published_at, v.body, tuple(v.metrics or ()), v.extracted_at, v.superseded_at, v.page_id)
        for n, v in enumerate(kept, start=1)
    ]
    current = _figures(session, [article_id]).get(article_id, [])
    versions.append(
        Version(
            len(kept) + 1,
            article.title,
            article.published_at,
            article.body,
            tuple(current),
            article.updated_at,
            None,
            article.page_id,
        )
    )
    return versions


def compare(older: Version, newer: Version) -> Change:
    """Title, body and figure changes from `older` to `newer`.

    Figures are matched by unit, category and subject: a removed and an added figure that share them are one
    figure whose value changed; the rest were added or removed.
    """
    added_chars = removed_chars = 0
    matcher = difflib.SequenceMatcher(None, older.body, newer.body, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed_chars += i2 - i1
        if tag in ("replace", "insert"):
            added_chars += j2 - j1
    before, after = _figure_keys(older.figures), _figure_keys(newer.figures)
    only_before, only_after = before - after, after - before
    gone = [f for f in older.figures if _take(only_before, f)]
    new = [f for f in newer.figures if _take(only_after, f)]
    changed: list[FigureChange] = []
    for figure in list(gone):
        slot = (figure.get("unit"), figure.get("category"), figure.get("subject"))
        match = next((f for f in new if (f.get("unit"), f.get("category"), f.get("subject")) == slot), None)
        if match is not None:
            gone.remove(figure)
            new.remove(match)
            changed.append(FigureChange(str(figure.get("text")), str(match.get("text")), str(slot[0]), str(slot[1])))
    return Change(
        older.title,
        newer.title,
        added_chars,
        removed_chars,
        tuple(str(f.get("text")) for f in new),
        tuple(str(f.get("text")) for f in gone),
        tuple(changed),
        older.published_at,
        newer.published_at,
    )


def _take(remaining: Counter[tuple[Any, ...]], figure: Mapping[str, Any]) -> bool:
    """True (and one fewer left) when `figure` is among the `remaining` ones."""
    key = next(iter(_figure_keys([figure])))
    if remaining[key] > 0:
        remaining[key] -= 1
        return True
    return False
