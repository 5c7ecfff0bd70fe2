"""The `source` table: the configured sources as the last crawl saw them.

Each crawl mirrors its sources' configuration here, so the ETL judges a page with the settings of the
source that fetched it (keywords, article patterns, body selector) without reading sources.toml.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session

from etl.sources import ConfigError, SourceConfig, parse_source
from etl.store.engine import get_engine
from etl.store.models import Source, utcnow

log = logging.getLogger("aidnews.sources")


def sync_sources(sources: Sequence[SourceConfig], engine: sa.Engine | None = None) -> None:
    """Mirror the configured sources into the `source` table."""
    engine = engine or get_engine()
    with Session(engine) as session:
        existing = {s.name: s for s in session.exec(sa.select(Source)).scalars()}  # type: ignore[call-overload]
        for config in sources:
            row = existing.get(config.name) or Source(name=config.name)
            row.config = config.as_dict()
            row.enabled = config.enabled
            row.updated_at = utcnow()
            session.add(row)
        session.commit()


def configured_sources(session: Session) -> dict[str, SourceConfig]:
    """The sources as last mirrored (a source whose stored config no longer parses is left out)."""
    out = {}
    for name, config in session.execute(sa.select(Source.name, Source.config)).all():
        try:
            out[name] = parse_source(dict(config, name=name), "stored source")
        except ConfigError:
            log.warning("stored config of source %s no longer parses; using defaults for its pages", name)
    return out
