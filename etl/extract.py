"""One page in, one article out: decode → clean → normalise → metrics and aid entities.

Pure functions over bytes and dataclasses; `etl.process` stores what they return. `as_record` is the JSON
contract of `aidnews extract` (one object per file), which extraction benchmarks rely on: keep it stable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from etl.dedup import simhash
from etl.entities import Entities, extract_entities
from etl.html import Cleaned, CleanError, clean
from etl.metrics import Metric, extract_metrics
from etl.text.encoding import Decoded, bom_codec, decode_html
from etl.text.normalise import Normalised, normalise
from etl.urls import canonical_url, url_too_long

# A whole number written as text; raise it when the same stored page would now be extracted differently. Stored
# rows record it (page and article), and each ETL pass re-extracts a bounded batch of the articles an older
# version built (etl.staleness). 2: every money figure has a kind (before, stored figures had none), and the
# body chooser reads article wrappers named like furniture. 3: 招收 beside pupils is not jobs, 走访 reaches people, app
# promotions and long disclaimers at the text's edges are furniture, and a bare 声明 ends the text only as a disclaimer.
EXTRACTOR_VERSION = "3"


class ExtractError(ValueError):
    """A page that holds no article: the message says why, in words a user can act on."""


@dataclass
class Extraction:
    url: str | None
    canonical_url: str | None
    declared_canonical: str | None  # what the page itself claims (may point at another site's original)
    title: str | None
    subtitle: str | None
    published_at: datetime | None
    source: str | None  # 来源
    author: str | None
    editor: str | None  # 责任编辑
    body: str
    body_original: str
    script: str
    pinyin_stripped: int
    garbled_found: int
    garbled_repaired: int
    garbled_spans: list[dict[str, Any]]  # GarbledSpan.as_dict() of each garbled run (docs/text.md §5)
    images: list[dict[str, Any]]
    encoding: str
    metrics: list[Metric]
    entities: Entities
    content_hash: str
    simhash: int
    extractor_version: str = EXTRACTOR_VERSION
    warnings: list[str] = field(default_factory=list)
    # where title, date, author, editor and source were read on the page (etl.html.Cleaned's *_source)
    field_sources: dict[str, str | None] = field(default_factory=dict)


def _short(text: str | None) -> str | None:
    if text is None:
        return None
    text = normalise(text).text.strip()
    return text or None


def extract(
    body: bytes, url: str | None = None, content_type: str | None = None, body_selector: str | None = None
) -> Extraction:
    """Everything aidnews reads from one page. Raises ExtractError when the page holds no article."""
    if not body or not body.strip():
        raise ExtractError("empty page: no bytes to read")
    if _looks_binary(body):
        raise ExtractError("binary content (an image, archive or other non-text file), not an HTML page")
    decoded: Decoded = decode_html(body, content_type)
    if decoded.replaced > max(50, len(decoded.text) // 20):
        raise ExtractError(
            f"undecodable page: {decoded.replaced} characters could not be read as {decoded.encoding} "
            "(binary content, or a wrong charset)"
        )
    try:
        cleaned: Cleaned = clean(decoded.text, url=url, body_selector=body_selector or None)
    except CleanError as exc:
        raise ExtractError(f"the page could not be cleaned: {exc}") from exc
    if not cleaned.paragraphs:
        raise ExtractError(f"no article body found: the page is {cleaned.no_text or 'without text'}")
    norm: Normalised = normalise(cleaned.body)
    text = norm.text
    if not text.strip():
        raise ExtractError("the article body is empty after cleaning")
    title = _short(cleaned.title)
    metrics = extract_metrics(text, skip_spans=norm.unreadable_spans)
    entities = extract_entities(title or "", text)
    own_url = canonical_url(url) if url else None
    declared = canonical_url(cleaned.canonical_url) if cleaned.canonical_url else None
    key = choose_key(own_url, declared)
    return Extraction(
        url=url,
        canonical_url=key,
        declared_canonical=declared,
        title=title,
        subtitle=_short(cleaned.subtitle),
        published_at=cleaned.published_at,
        source=_short(cleaned.source),
        author=_short(cleaned.author),
        editor=_short(cleaned.editor),
        body=text,
        body_original=cleaned.body,
        script=norm.script,
        pinyin_stripped=norm.pinyin_stripped,
        garbled_found=norm.garbled_found,
        garbled_repaired=norm.garbled_repaired,
        garbled_spans=[span.as_dict() for span in norm.garbled_spans],
        images=[{"src": i.src, "caption": i.caption} for i in cleaned.images],
        encoding=decoded.encoding,
        metrics=metrics,
        entities=entities,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        simhash=simhash(text),
        field_sources={
            "title": cleaned.title_source,
            "date": cleaned.date_source,
            "author": cleaned.author_source,
            "editor": cleaned.editor_source,
            "source": cleaned.source_source,
        },
    )


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _looks_binary(body: bytes) -> bool:
    """NUL bytes or many control characters in the first 4 KB: no text encoding produces those.

    Except UTF-16 and UTF-32, which are full of NUL bytes: with their BOM, the decoded text is judged instead.
    """
    head = body[:4096]
    if (bom := bom_codec(head)) is not None and bom[0] != "utf-8":
        return _looks_binary(head[bom[1] :].decode(bom[0], "replace").encode("utf-8"))
    if b"\x00" in head:
        return True
    return len(head) - len(head.translate(None, _CONTROL)) > len(head) // 20


def choose_key(own: str | None, declared: str | None, same_source: Callable[[str], bool] | None = None) -> str | None:
    """The canonical URL an article is stored under: the page's own URL, or the canonical URL it declares.

    A declared canonical wins only when it names a page of the same source (URL variants of one article):
    `same_source` says so when the sources are known; without them, the same host stands in. A declared
    canonical elsewhere marks a syndicated copy, which keeps its own URL and is linked as a duplicate.
    """
    if declared and url_too_long(declared):  # never a key, nor matched against a source's patterns
        declared = None
    if not declared or not own or declared == own:
        return own or declared
    if same_source is not None:
        return declared if same_source(declared) else own
    return declared if urlsplit(declared).hostname == urlsplit(own).hostname else own


def _place(place: Any) -> dict[str, Any] | None:
    return asdict(place) if place is not None else None


def as_record(extraction: Extraction, file: str | None = None) -> dict[str, Any]:
    """The JSON object `aidnews extract` prints for one page."""
    e = extraction.entities
    record: dict[str, Any] = {"file": file} if file is not None else {}
    record.update(
        {
            "url": extraction.url,
            "canonical_url": extraction.canonical_url,
            "title": extraction.title,
            "subtitle": extraction.subtitle,
            "published_at": extraction.published_at.isoformat() if extraction.published_at else None,
            "author": extraction.author,
            "editor": extraction.editor,
            "source": extraction.source,
            **{f"{name}_source": origin for name, origin in extraction.field_sources.items()},
            "body": extraction.body,
            "body_original": extraction.body_original,
            "script": extraction.script,
            "encoding": extraction.encoding,
            "quality": {
                "pinyin_stripped": extraction.pinyin_stripped,
                "garbled_found": extraction.garbled_found,
                "garbled_repaired": extraction.garbled_repaired,
                "garbled_spans": extraction.garbled_spans,
            },
            "images": extraction.images,
            "program": e.program,
            "provider": _place(e.provider),
            "recipient": _place(e.recipient),
            "batch": e.batch,
            "period_start": e.period_start,
            "period_end": e.period_end,
            "topics": list(e.topics),
            "metrics": [m.to_json() for m in extraction.metrics],
            "content_hash": extraction.content_hash,
            "extractor_version": extraction.extractor_version,
        }
    )
    return record
