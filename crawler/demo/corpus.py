"""The article corpus of the demo portal: `corpus/*.jsonl`, one article per line, Simplified Chinese.

Articles can be corrected while the portal serves them, as real portals correct figures and titles after
publication: an edits directory (`DemoPortal(edits=…)`, or $AIDNEWS_DEMO_EDITS for `--demo`) holds
`*.jsonl` lines `{"id": …, "title": …, "paragraphs": […], "modified_at": …}` whose fields replace the
article's. Nothing on the portal links to the edits: only the test or benchmark that writes them knows.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
EDITS_ENV = "AIDNEWS_DEMO_EDITS"  # the edits directory of a portal started by `--demo`
SITES = ("hq", "county", "portal")
# What an article says, in the order a corpus line writes it after its id, site and syndicated_to.
ARTICLE_FIELDS = (
    "title",
    "subtitle",
    "published_at",
    "date_only",
    "source",
    "author",
    "editor",
    "paragraphs",
    "metrics",
    "program",
    "provider",
    "recipient",
    "batch",
    "topics",
)
LINE_FIELDS = ("id", "site", "syndicated_to", *ARTICLE_FIELDS)  # every key of a corpus line, in order


@dataclass(frozen=True)
class Article:
    id: str
    site: str  # the site that publishes the original: hq | county | portal
    title: str
    published_at: datetime  # tz-aware (+08:00)
    paragraphs: tuple[str, ...]
    subtitle: str = ""
    date_only: bool = False  # the original shows a date without a time
    source: str = ""  # 来源
    author: str = ""  # 作者
    editor: str = ""  # 责任编辑
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


def edits_dir_from_env() -> Path | None:
    value = os.environ.get(EDITS_ENV, "").strip()
    return Path(value) if value else None


def read_edits(stamp: Stamp) -> dict[str, dict[str, Any]]:
    """Article id -> the fields its edits replace (a later line wins); each gets a `modified_at`.

    `modified_at` is the line's own, else the time its file was written: the portal's Last-Modified.
    """
    directory = Path(stamp[0])
    edits: dict[str, dict[str, Any]] = {}
    for name, mtime, _size in stamp[1]:
        try:
            lines = (directory / name).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        written = datetime.fromtimestamp(mtime, UTC).isoformat()
        for line in lines:
            try:
                raw = json.loads(line)
            except ValueError:
                continue  # a line still being written
            if isinstance(raw, dict) and raw.get("id") is not None:
                edits.setdefault(str(raw["id"]), {}).update({"modified_at": written, **raw})
    return edits


def apply_edits(articles: tuple[Article, ...], edits: dict[str, dict[str, Any]]) -> tuple[Article, ...]:
    """The corpus with each edited article's fields replaced (its id, site and place in the lists stay)."""
    if not edits:
        return articles
    out = []
    for article in articles:
        change = edits.get(article.id)
        if change is None:
            out.append(article)
            continue
        try:
            out.append(article_from({**article.raw, **change, "id": article.id, "site": article.site}))
        except (ValueError, KeyError, TypeError):
            out.append(article)  # a broken edit leaves the article as it was
    return tuple(out)


@lru_cache(maxsize=4)
def _cached(stamp: Stamp) -> tuple[Article, ...]:
    return read_corpus(Path(stamp[0]))


def load_corpus(directory: Path | None = None) -> tuple[Article, ...]:
    """The corpus as it is on disk now (read again only when a file changed)."""
    return _cached(corpus_stamp(directory))
