"""What travels from the spider to the pipelines: one fetched page, raw."""

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
