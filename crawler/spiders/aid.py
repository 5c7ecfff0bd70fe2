"""One generic spider for every source: list pages, article pages, sitemaps and feeds.

It decides what to fetch and hands raw pages to the pipelines; it never parses article bodies.
Incremental state (which article URLs are already stored, with their ETag/Last-Modified) is handed in by
`crawler.run` from the database, so a re-crawl fetches list pages, feeds and sitemaps but no article page
that is already stored, unless a sitemap says it changed.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawler import frontier
from crawler.items import PageItem
from etl.sources import SourceConfig
from etl.urls import canonical_url, host_allowed

LOCAL_TIMEOUT = 3.0  # seconds, for sources marked local (demo and test portals)
IDLE_ROUNDS = 2  # idle signals (about 5 s apart) with an empty shared frontier before a worker stops
_HREF = re.compile(rb"""<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"Rar!", b"7z\xbc")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#")


@dataclass(frozen=True, slots=True)
class KnownPage:
    """What the database already holds for an article URL."""

    etag: str | None
    last_modified: str | None
    fetched_at: datetime | None
    sha256: str | None = None


@dataclass(frozen=True)
class XmlEntry:
    """One link of a sitemap, sitemap index or feed."""

    url: str
    lastmod: datetime | None = None
    is_sitemap: bool = False  # an entry of a sitemap index: another sitemap, not a page


def looks_binary(body: bytes) -> bool:
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC):
        return True
    return head.count(b"\x00") > 4


def failure_reason(failure: Failure) -> str:
    """A short, human-readable reason for a failed fetch."""
    exc = failure.value
    if failure.check(HttpError):
        return f"HTTP {exc.response.status}"
    if failure.check(DNSLookupError):
        return "DNS lookup failed"
    if failure.check(TimeoutError, TCPTimedOutError):
        return "timed out"
    if failure.check(ConnectionRefusedError):
        return "connection refused"
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "max redirections" in lowered or "redirect loop" in lowered:
        return "redirect loop" if "loop" in lowered else "too many redirects"
    if "maxsize" in lowered or "larger than" in lowered or "max size" in lowered:
        return "too large"
    if "timeout" in lowered or "took longer than" in lowered:
        return "timed out"
    return text[:300]


class AidSpider(scrapy.Spider):
    name = "aid"

    def __init__(
        self,
        sources: list[SourceConfig],
        known: dict[str, KnownPage] | None = None,
        revisit: bool = False,
        frontier: str | None = None,
        lead: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sources = {s.name: s for s in sources}
        self.known = known or {}
        self.revisit = revisit
        self.frontier = frontier  # Redis URL of a shared frontier: this is one worker of a distributed crawl
        self.lead = lead  # in a distributed crawl, only the lead worker schedules the start URLs
        self.idle_rounds = 0
        self.seen: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.errors: list[dict[str, str]] = []
        # Per source: responses (the site answered) and errors by reason, so a run can tell which sources failed.
        self.by_source: defaultdict[str, Counter[str]] = defaultdict(Counter)

    # -- scheduling -------------------------------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> AidSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    def on_idle(self) -> None:
        """In a distributed crawl, stay up while the shared frontier may still receive work from the others."""
        if not self.frontier:
            return
        run_id = self.settings.getint("AIDNEWS_RUN_ID") or None
        if frontier.pending(self.frontier, run_id):
            self.idle_rounds = 0
            raise DontCloseSpider
        self.idle_rounds += 1
        if self.idle_rounds < IDLE_ROUNDS:
            raise DontCloseSpider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.lead:
            return
        for source in self.sources.values():
            for url in source.start_urls:
                if request := self.request_for(source, url, "list", depth=0):
                    yield request
            for url in source.sitemaps:
                if request := self.request_for(source, url, "sitemap", depth=0):
                    yield request
            for url in source.feeds:
                if request := self.request_for(source, url, "feed", depth=0):
                    yield request
        if self.revisit:
            for url, page in self.known.items():
                source = self.source_of(url)
                if source is not None:
                    yield self._build(source, url, "article", 0, page)

    def source_of(self, url: str) -> SourceConfig | None:
        host = urlsplit(url).hostname
        for source in self.sources.values():
            if host_allowed(host, source.allowed_domains) and source.is_article(url):
                return source
        return None

    def request_for(
        self, source: SourceConfig, url: str, kind: str, depth: int, lastmod: datetime | None = None
    ) -> scrapy.Request | None:
        """A request for url, or None when it is offsite, too deep, already seen or already stored."""
        url = canonical_url(url)
        if not host_allowed(urlsplit(url).hostname, source.allowed_domains):
            self.counts["links_offsite"] += 1
            return None
        if depth > source.max_depth:
            self.counts["links_too_deep"] += 1
            return None
        if url in self.seen:
            return None
        known = self.known.get(url) if kind == "article" else None
        if known is not None:
            changed = lastmod is not None and known.fetched_at is not None and lastmod > known.fetched_at
            if not changed:
                self.counts["articles_known_skipped"] += 1
                self.seen.add(url)
                return None
        self.seen.add(url)
        return self._build(source, url, kind, depth, known)

    def _build(
        self, source: SourceConfig, url: str, kind: str, depth: int, known: KnownPage | None
    ) -> scrapy.Request:
        self.seen.add(url)
        meta: dict[str, Any] = {"source": source.name, "kind": kind, "depth": depth}
        headers: dict[str, str] = {}
        if known is not None:
            meta["handle_httpstatus_list"] = [304]
            meta["previous_sha256"] = known.sha256
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        if source.local:
            meta["download_timeout"] = LOCAL_TIMEOUT
            meta["autothrottle_dont_adjust_delay"] = True
            meta["retry_backoff_base"] = 0.05
            meta["max_retry_times"] = 1
        self.counts["requests"] += 1
        # Duplicates are filtered here (self.seen), so loops reach the middlewares; a distributed crawl also
        # filters in the shared frontier, across workers.
        return scrapy.Request(
            url, callback=self.parse, errback=self.on_error, meta=meta, headers=headers,
            dont_filter=not self.frontier,
            priority={"sitemap": 30, "feed": 30, "list": 20, "article": 10}.get(kind, 0),
        )

    # -- responses --------------------------------------------------------------------------------------------

    def parse(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source"]]
        self.by_source[source.name]["responses"] += 1
        kind = response.meta["kind"]
        depth = response.meta["depth"]
        if response.status == 304:
            self.counts["not_modified"] += 1
            return
        body = response.body
        if kind in ("sitemap", "feed"):
            yield from self.parse_xml(source, response, kind, depth)
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if looks_binary(body) or (content_type and "html" not in content_type and "xml" not in content_type
                                  and not content_type.startswith("text/")):
            self.record_error(response.url, source.name, f"not HTML ({content_type or 'no content type'})")
            return
        if kind == "article" or source.is_article(response.url):
            kind = "article"
        yield self.item(response, source, kind, depth)
        yield from self.follow_links(source, response.url, body, depth)

    def follow_links(self, source: SourceConfig, base: str, body: bytes, depth: int) -> Iterator[scrapy.Request]:
        # A byte-level scan: the spider needs hrefs, not a parsed tree (cleaning stays out of Scrapy).
        for match in _HREF.finditer(body):
            raw = next(g for g in match.groups() if g is not None)
            href = raw.decode("latin-1").strip().replace("&amp;", "&")
            if not href or href.lower().startswith(_SKIP_SCHEMES):
                continue
            url = urljoin(base, href)
            if not url.startswith(("http://", "https://")):
                continue
            if source.is_article(url):
                kind = "article"
            elif source.is_list(url):
                kind = "list"
            else:
                continue
            request = self.request_for(source, url, kind, depth + 1)
            if request is not None:
                yield request

    def parse_xml(self, source: SourceConfig, response: Response, kind: str, depth: int) -> Iterator[Any]:
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as exc:
                self.record_error(response.url, source.name, f"bad gzip: {exc}")
                return
        yield self.item(response, source, kind, depth, body=body)
        from lxml import etree  # local import: only sitemaps and feeds need it

        try:
            root = etree.fromstring(body, parser=etree.XMLParser(recover=True, resolve_entities=False,
                                                                 no_network=True, huge_tree=False))
        except etree.XMLSyntaxError as exc:
            self.record_error(response.url, source.name, f"bad XML: {exc}")
            return
        if root is None:
            self.record_error(response.url, source.name, "empty XML document")
            return
        for entry in _xml_entries(root):
            url = urljoin(response.url, entry.url)
            if entry.is_sitemap:
                request = self.request_for(source, url, "sitemap", depth + 1)
            elif source.is_article(url):
                request = self.request_for(source, url, "article", depth + 1, lastmod=entry.lastmod)
            elif source.is_list(url):
                request = self.request_for(source, url, "list", depth + 1)
            else:
                continue
            if request is not None:
                yield request

    def item(self, response: Response, source: SourceConfig, kind: str, depth: int,
             body: bytes | None = None) -> PageItem:
        redirects = list(response.meta.get("redirect_urls", []))
        self.counts[f"fetched_{kind}"] += 1
        return PageItem(
            url=canonical_url(redirects[0]) if redirects else response.url,
            final_url=response.url,
            source_name=source.name,
            kind=kind,
            status=response.status,
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            body=response.body if body is None else body,
            fetched_at=datetime.now(UTC),
            depth=depth,
            redirects=redirects,
            previous_sha256=response.meta.get("previous_sha256"),
        )

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        redirects = request.meta.get("redirect_urls") or []
        url = redirects[0] if redirects else request.url
        self.record_error(url, request.meta.get("source", ""), failure_reason(failure), final_url=request.url)

    def record_error(self, url: str, source: str, reason: str, final_url: str | None = None) -> None:
        key = "error: " + reason.split(":")[0].split("(")[0].strip()
        self.counts[key] += 1
        self.counts["errors"] += 1
        self.by_source[source]["errors"] += 1
        self.by_source[source][key] += 1
        if len(self.errors) < 500:
            entry = {"url": url, "source": source, "reason": reason}
            if final_url and final_url != url:
                entry["final_url"] = final_url
            self.errors.append(entry)
        self.logger.info("fetch failed: %s: %s", url, reason)


def _xml_entries(root: Any) -> Iterator[XmlEntry]:
    """The links of a sitemap, a sitemap index, RSS or Atom."""
    tag = root.tag.rsplit("}", 1)[-1].lower() if isinstance(root.tag, str) else ""
    if tag in ("urlset", "sitemapindex"):
        for node in root:
            if not isinstance(node.tag, str):
                continue
            fields = {child.tag.rsplit("}", 1)[-1].lower(): (child.text or "").strip()
                      for child in node if isinstance(child.tag, str)}
            if fields.get("loc"):
                yield XmlEntry(fields["loc"], _parse_time(fields.get("lastmod")), tag == "sitemapindex")
        return
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        name = node.tag.rsplit("}", 1)[-1].lower()
        if name == "item":
            link = next((c for c in node if isinstance(c.tag, str) and c.tag.rsplit("}", 1)[-1] == "link"), None)
            if link is not None and (link.text or "").strip():
                yield XmlEntry(link.text.strip())
        elif name == "entry":
            for child in node:
                if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "link":
                    href = child.get("href")
                    if href and child.get("rel", "alternate") == "alternate":
                        yield XmlEntry(href.strip())


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
