"""The article corpus of the demo portal: `corpus/*.jsonl`, one article per line, Simplified Chinese."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
SITES = ("hq", "county", "portal")


@dataclass(frozen=True)
class Article:
    id: str
    site: str                     # the site that publishes the original: hq | county | portal
    title: str
    published_at: datetime        # tz-aware (+08:00)
    paragraphs: tuple[str, ...]
    subtitle: str = ""
    date_only: bool = False       # the original shows a date without a time
    source: str = ""              # 来源
    author: str = ""              # 作者
    editor: str = ""              # 责任编辑
    syndicated_to: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)

    def sites(self) -> tuple[str, ...]:
        """Every site that shows this article: the original first, then the copies."""
        copies = tuple(s for s in dict.fromkeys(self.syndicated_to) if s in SITES and s != self.site)
        return (self.site, *copies)

    def metric_texts(self) -> list[str]:
        return [m["text"] for m in self.raw.get("metrics", []) if m.get("text")]


def article_from(raw: dict[str, Any]) -> Article:
    published = datetime.fromisoformat(raw["published_at"])
    return Article(
        id=str(raw["id"]),
        site=raw["site"],
        title=raw["title"].strip(),
        published_at=published,
        paragraphs=tuple(p.strip() for p in raw["paragraphs"] if p.strip()),
        subtitle=(raw.get("subtitle") or "").strip(),
        date_only=bool(raw.get("date_only")),
        source=(raw.get("source") or "").strip(),
        author=(raw.get("author") or "").strip(),
        editor=(raw.get("editor") or "").strip(),
        syndicated_to=tuple(raw.get("syndicated_to") or ()),
        raw=raw,
    )


def read_corpus(directory: Path) -> tuple[Article, ...]:
    """Every well-formed article in directory/*.jsonl, oldest first; a line still being written is skipped."""
    articles: dict[str, Article] = {}
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                article = article_from(raw)
            except (ValueError, KeyError, TypeError):
                continue
            if article.site in SITES and article.paragraphs and article.id not in articles:
                articles[article.id] = article
    return tuple(sorted(articles.values(), key=lambda a: (a.published_at, a.id)))


Stamp = tuple[str, tuple[tuple[str, float, int], ...]]


def corpus_stamp(directory: Path | None = None) -> Stamp:
    """Changes whenever a corpus file is added or rewritten (the corpus may grow while a portal runs)."""
    directory = directory or CORPUS_DIR
    files = tuple((p.name, p.stat().st_mtime, p.stat().st_size) for p in sorted(directory.glob("*.jsonl")))
    return str(directory), files


@lru_cache(maxsize=4)
def _cached(stamp: Stamp) -> tuple[Article, ...]:
    return read_corpus(Path(stamp[0]))


def load_corpus(directory: Path | None = None) -> tuple[Article, ...]:
    """The corpus as it is on disk now (read again only when a file changed)."""
    return _cached(corpus_stamp(directory))

