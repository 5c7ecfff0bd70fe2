"""Which stored articles a crawl asks for again: the source's revisit policy, as a pure function.

Portals correct articles after publication (a figure, a title), and neither their sitemaps (whose lastmod
is often the publication date) nor their list pages (which keep linking the same URL) say so. So a crawl
re-checks recent articles with conditional GETs: those published less than `revisit_days` ago once
`revisit_every` has passed since they were last fetched or found unchanged, older ones every
`revisit_old_every` (never, by default). A 304 costs a request and a few bytes; `revisit_max` bounds how
many a crawl sends, recent articles first, then those unchecked longest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from crawler.items import KnownPage
from etl.sources import SourceConfig


@dataclass(frozen=True)
class RevisitPlan:
    """The articles a crawl re-checks, and how many were due (more than `urls` when revisit_max cut them)."""

    urls: tuple[str, ...]
    due: int


def revisit_plan(source: SourceConfig, known: Mapping[str, KnownPage], now: datetime) -> RevisitPlan:
    """The stored articles of `source` due for a re-check at `now`, at most `revisit_max` of them.

    A URL with no article (a page the ETL skipped, or has not reached yet) is never revisited here.
    """
    young_every, old_every = source.revisit_young_seconds, source.revisit_old_seconds
    if young_every is None and old_every is None:
        return RevisitPlan((), 0)
    young_since = now - timedelta(days=source.revisit_days)
    due: list[tuple[bool, datetime, str]] = []
    for url, page in known.items():
        if page.article_at is None:
            continue
        young = page.article_at >= young_since
        every = young_every if young else old_every
        if every is None:
            continue
        last = max((t for t in (page.fetched_at, page.checked_at) if t is not None), default=None)
        if last is None or now - last >= timedelta(seconds=every):
            due.append((not young, last or datetime.min.replace(tzinfo=now.tzinfo), url))
    due.sort()
    return RevisitPlan(tuple(url for _, _, url in due[: source.revisit_max]), len(due))
