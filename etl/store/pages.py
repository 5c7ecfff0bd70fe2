"""The `page` table as the ETL sees it: which pages wait for extraction, and what became of each.

The crawler stores every article page `pending`; an ETL pass works through the pending pages in id order
and records each one's outcome. Which pages a pass will take is defined once, here (`pending`), for the
pass itself and for the progress bar that counts them beforehand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from etl.store.models import Page, table_of, utcnow


class PageState(StrEnum):
    """The values of `page.etl_status`."""

    PENDING = "pending"  # stored, waiting for an ETL pass
    DONE = "done"  # extracted into an article
    SKIPPED = "skipped"  # not an article page (list, sitemap, feed), or not about aid work; etl_error says which
    ERROR = "error"  # extraction or storage failed; etl_error says why


ERROR_LENGTH = 2000  # characters of a page's error kept: the exception's message, not a novel


@dataclass(frozen=True)
class PageOutcome:
    """What an ETL pass made of one page."""

    page_id: int
    state: PageState
    error: str | None = None


def reprocessable(since: datetime | None = None) -> ColumnElement[bool]:
    """The pages a reprocess puts back in the queue: every article page fetched whole (since a date)."""
    condition = sa.and_(col(Page.kind) == "article", col(Page.status) == 200)
    return condition if since is None else sa.and_(condition, col(Page.fetched_at) >= since)


def pending(*, reprocess: bool = False, since: datetime | None = None) -> ColumnElement[bool]:
    """The pages an ETL pass works through: the pending ones, and with `reprocess` the reprocessable ones too."""
    waiting = col(Page.etl_status) == PageState.PENDING
    return sa.or_(waiting, reprocessable(since)) if reprocess else waiting


def count_pending(engine: sa.Engine, *, reprocess: bool = False, since: datetime | None = None) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count(col(Page.id))).where(pending(reprocess=reprocess, since=since))
        ).scalar_one()


def requeue(engine: sa.Engine, since: datetime | None = None) -> int:
    """Mark the reprocessable pages pending again (the extractor changed); returns how many."""
    with engine.begin() as conn:
        query = sa.update(Page).where(reprocessable(since)).values(etl_status=PageState.PENDING, etl_error=None)
        return conn.execute(query).rowcount


def next_pending_ids(engine: sa.Engine, after_id: int, limit: int) -> list[int]:
    """The ids of up to `limit` pending pages after `after_id`, in id order (a pass never revisits a page)."""
    with engine.connect() as conn:
        query = sa.select(col(Page.id)).where(pending(), col(Page.id) > after_id).order_by(col(Page.id)).limit(limit)
        return [page_id for page_id in conn.execute(query).scalars() if page_id is not None]  # ids are never null


def count_stored(engine: sa.Engine, run_id: int) -> int:
    """Pages a crawl run has stored so far."""
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count(col(Page.id))).where(col(Page.run_id) == run_id)).scalar_one()


def record_checks(engine: sa.Engine, checked: Mapping[str, datetime]) -> None:
    """Mark the newest stored version of each article URL as found unchanged at the given time."""
    if not checked:
        return
    table = table_of(Page)
    newer = table.alias("newer")
    newest = (
        sa.select(sa.func.max(newer.c.id))
        .where(newer.c.url == sa.bindparam("_url"), newer.c.kind == "article", newer.c.status == 200)
        .scalar_subquery()
    )
    with engine.begin() as conn:
        conn.execute(
            table.update().where(table.c.id == newest).values(checked_at=sa.bindparam("_at")),
            [{"_url": url, "_at": at} for url, at in checked.items()],
        )


# What a fetch of content already stored under its URL refreshes in that row.
_REFRESHED = ("final_url", "run_id", "status", "headers", "content_type", "fetched_at", "etag", "last_modified")


def store_pages(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert fetched pages; a page whose URL already has a row with the same content refreshes that row instead.

    So a page version is stored once however often, and by however many crawls at once, it is fetched. When the
    content an URL returns to is not its newest stored version (A, then B, then A again), the old row is put
    back in the ETL queue, so the article is rebuilt from what the site shows now.
    """
    if not rows:
        return
    insert: Any = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(Page)
    table = table_of(Page)
    versions = table.alias("versions")
    newest = sa.select(sa.func.max(versions.c.id)).where(versions.c.url == table.c.url).scalar_subquery()
    back_in_queue = sa.and_(insert.excluded.kind == "article", table.c.id < newest)
    statement = insert.on_conflict_do_update(
        index_elements=["url", "sha256"],
        set_={
            **{name: insert.excluded[name] for name in _REFRESHED},
            "etl_status": sa.case((back_in_queue, PageState.PENDING.value), else_=table.c.etl_status),
            "etl_error": sa.case((back_in_queue, None), else_=table.c.etl_error),
        },
    )
    conn.execute(statement, list(rows))


def record_outcomes(conn: sa.Connection, outcomes: Sequence[PageOutcome], extractor_version: str) -> None:
    """Write each page's ETL state in one statement, as part of the caller's transaction."""
    table = table_of(Page)
    conn.execute(
        table.update()
        .where(table.c.id == sa.bindparam("_id"))
        .values(
            etl_status=sa.bindparam("_state"),
            etl_error=sa.bindparam("_error"),
            extractor_version=extractor_version,
            processed_at=utcnow(),
        ),
        [
            {"_id": o.page_id, "_state": o.state, "_error": o.error[:ERROR_LENGTH] if o.error else None}
            for o in outcomes
        ],
    )
