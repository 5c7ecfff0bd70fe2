"""What travels from the spider to the pipelines (one fetched page, raw), and into the spider (a stored page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class PageItem:
    url: str  # the URL the crawler asked for (canonical)
    final_url: str  # after redirects
    source_name: str
    kind: str  # article | list | sitemap | feed
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    depth: int = 0
    redirects: list[str] = field(default_factory=list)
    previous_sha256: str | None = None  # of the stored version, when this fetch revisits a known page


@dataclass(frozen=True, slots=True)
class KnownPage:
    """What the database already holds for an article URL."""

    etag: str | None
    last_modified: str | None
    fetched_at: datetime | None
    sha256: str | None = None
    source: str | None = None  # the source that fetched it
    article_at: datetime | None = None  # its article's publication date (else first extraction); None: no article
    checked_at: datetime | None = None  # when a later request last found it unchanged (304 or the same bytes)
