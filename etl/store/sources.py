"""The `source` table: the configured sources as the last crawl saw them, and their first full crawl.

Each crawl mirrors its sources' configuration here, so the ETL judges a page with the settings of the
source that fetched it (keywords, article patterns, body selector) without reading sources.toml. It also
remembers the first crawl that read all of a source's list pages (`full_crawl_run`): only after one may a
crawl stop paging early, so an interrupted first crawl is completed by the next one rather than cut short.
Changing where a source's lists are (start URLs, list patterns, max_list_pages) forgets it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from etl.sources import ConfigError, SourceConfig, parse_source
from etl.store.engine import get_engine
from etl.store.models import Source, utcnow
from etl.store.runs import counts_by_source

log = logging.getLogger("aidnews.sources")

LIST_KEYS = ("start_urls", "list_patterns", "max_list_pages")  # where a source's list pages are


def sync_sources(sources: Sequence[SourceConfig], engine: sa.Engine | None = None) -> None:
    """Mirror the configured sources into the `source` table."""
    engine = engine or get_engine()
    with Session(engine) as session:
        existing = {s.name: s for s in session.exec(sa.select(Source)).scalars()}  # type: ignore[call-overload]
        for config in sources:
            row = existing.get(config.name) or Source(name=config.name)
            new = config.as_dict()
            if any((row.config or {}).get(key) != new[key] for key in LIST_KEYS):
                row.full_crawl_run = None
            row.config = new
            row.enabled = config.enabled
            row.updated_at = utcnow()
            session.add(row)
        session.commit()


def record_full_crawls(
    run_id: int, counts: dict[str, Any], names: Sequence[str], engine: sa.Engine | None = None
) -> list[str]:
    """Mark this successful crawl as the first full one of each source it read whole; returns their names.

    Read whole: no list page failed and paging was never stopped early (a crawl cut by max_list_pages counts:
    that is the configured bound of the archive).
    """
    by_source = counts_by_source(counts) or {}
    whole = [
        name
        for name in names
        if by_source.get(name)  # a source with no count at all was not read
        and not by_source[name].get("pagination_stopped")
        and not by_source[name].get("list_errors")
    ]
    if whole:
        with (engine or get_engine()).begin() as conn:
            conn.execute(
                sa.update(Source)
                .where(col(Source.name).in_(whole), col(Source.full_crawl_run).is_(None))
                .values(full_crawl_run=run_id)
            )
    return whole


def fully_crawled(engine: sa.Engine, names: Sequence[str]) -> set[str]:
    """The sources among `names` that have had a full crawl."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                sa.select(col(Source.name)).where(
                    col(Source.name).in_(list(names)), col(Source.full_crawl_run).is_not(None)
                )
            ).scalars()
        )


def configured_sources(session: Session) -> dict[str, SourceConfig]:
    """The sources as last mirrored (a source whose stored config no longer parses is left out)."""
    out = {}
    for name, config in session.execute(sa.select(col(Source.name), col(Source.config))).all():
        try:
            out[name] = parse_source(dict(config, name=name), "stored source")
        except ConfigError:
            log.warning("stored config of source %s no longer parses; using defaults for its pages", name)
    return out
