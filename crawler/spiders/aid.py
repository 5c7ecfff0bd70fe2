"""One generic spider for every source: list pages, article pages, sitemaps and feeds.

It decides what to fetch and hands raw pages to the pipelines; it never parses article bodies.
Incremental state (which article URLs are already stored, with their ETag/Last-Modified, publication date
and last check) is handed in by `crawler.run` from the database, so a re-crawl fetches feeds, sitemaps and
the list pages up to the first one with nothing new (`crawler.listing`), but no article page that is already
stored, unless a sitemap says it changed or the source's revisit policy says it is due (`crawler.revisit`).

Whatever a server sends, memory stays bounded: a gzip sitemap or feed is inflated in one bounded step, up to
MAX_INFLATED_SIZE (the page cap, DOWNLOAD_MAXSIZE, unless set), and is recorded `too large` past it; a
sitemap index is followed for its first SITEMAP_CHILDREN_MAX sitemaps, and the cut is recorded. An XML
document that breaks off or turns malformed (a truncated file, an entity bomb) keeps the links read before
the fault, and the fault is recorded. A URL longer than MAX_URL_LENGTH is recorded as skipped, never fetched.
Reading the bytes themselves (binary sniffing, inflating, parsing a sitemap or feed, naming a failure) is in
`crawler.responses`, which needs no crawl state; following a page's links and its pager is in
`crawler.listing`; this module keeps the Scrapy shape: seeds, requests, parse, errors.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import (
    DontCloseSpider,
)
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.frontier import Participant
from crawler.items import KnownPage, PageItem
from crawler.listing import follow_links
from crawler.responses import (
    GZIP_MAGIC,
    BadXml,
    TooLarge,
    XmlEntry,
    ascii_compatible,
    failure_reason,
    inflate,
    looks_binary,
    read_xml,
)
from crawler.revisit import revisit_plan
from etl.sources import SourceConfig, pattern_timeouts
from etl.urls import MAX_URL_LENGTH, canonical_url, host_allowed, url_too_long

LOCAL_TIMEOUT = 3.0  # seconds, for sources marked local (demo and test portals)
IDLE_ROUNDS = 2  # idle signals (about 5 s apart) with an empty shared frontier before a worker stops
SITEMAP_CHILDREN_MAX = 2000  # sitemaps followed per sitemap index (setting SITEMAP_CHILDREN_MAX)
MAX_ERRORS = 500  # fetch errors kept for the run (all are counted)


class AidSpider(scrapy.Spider):
    name = "aid"

    def __init__(
        self,
        sources: list[SourceConfig],
        known: dict[str, KnownPage] | None = None,
        revisit: bool = False,
        frontier: str | None = None,
        lead: bool = True,
        fully_crawled: set[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sources = {s.name: s for s in sources}
        self.known = known or {}
        self.revisit = revisit
        self.frontier = frontier  # Redis URL of a shared frontier: this is one worker of a distributed crawl
        self.lead = lead  # in a distributed crawl, only the lead worker schedules the start URLs
        # Sources whose list pages have all been read once: only their paging may stop early.
        self.fully_crawled = set(fully_crawled or ())
        self.idle_rounds = 0
        self.shared: Participant | None = None  # this process's side of the shared frontier
        self.seen: set[str] = set()
        self.counts: Counter[str] = Counter()
        # the same counts per source, with its responses and errors by reason, so a run can tell which failed
        self.by_source: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.list_requests: Counter[str] = Counter()  # list pages requested per source, against max_list_pages
        self.checked: dict[str, datetime] = {}  # stored article URLs found unchanged, and when
        self.errors: list[dict[str, str]] = []

    # -- scheduling -------------------------------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> AidSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        if spider.frontier:
            run_id = crawler.settings.getint("AIDNEWS_RUN_ID") or None
            ns = crawler.settings.get("AIDNEWS_FRONTIER_NAMESPACE")
            spider.shared = Participant(spider.frontier, ns, run_id, spider.lead)
            crawler.signals.connect(spider.shared.busy, signal=signals.request_reached_downloader)
            crawler.signals.connect(spider.shared.busy, signal=signals.response_received)
        return spider

    def on_idle(self) -> None:
        """In a distributed crawl, stay up while the shared frontier may still receive work from the others."""
        if self.shared is None:
            return
        if not self.shared.may_leave():
            self.idle_rounds = 0
            raise DontCloseSpider
        self.idle_rounds += 1
        if self.idle_rounds < IDLE_ROUNDS:
            raise DontCloseSpider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.lead:
            return
        for request in self.seeds():
            yield request
        if self.shared is not None:  # the followers may now take an empty frontier for the end of the crawl
            self.shared.seeded()

    def seeds(self) -> Iterator[scrapy.Request]:
        """The start requests: list pages, sitemaps and feeds, then the stored articles due for a revisit."""
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
        if self.revisit:  # every stored article, whatever the policy (`aidnews crawl --revisit`)
            for url, page in self.known.items():
                owner = self.source_of(url)
                if owner is not None:
                    yield self._build(owner, url, "article", 0, page, {"revisit": True})
            return
        now = datetime.now(UTC)
        for source in self.sources.values():
            plan = revisit_plan(
                source, {url: page for url, page in self.known.items() if page.source == source.name}, now
            )
            if plan.due:
                self.count(source.name, "revisit_due", plan.due)
            for url in plan.urls:
                if url not in self.seen:
                    self.count(source.name, "revisit_requests")
                    yield self._build(source, url, "article", 0, self.known[url], {"revisit": True})

    def source_of(self, url: str) -> SourceConfig | None:
        host = urlsplit(url).hostname
        for source in self.sources.values():
            if host_allowed(host, source.allowed_domains) and source.is_article(url):
                return source
        return None

    def count(self, source: str, key: str, n: int = 1) -> None:
        """Add to a count of the crawl and of one of its sources."""
        self.counts[key] += n
        self.by_source[source][key] += n

    def request_for(
        self,
        source: SourceConfig,
        url: str,
        kind: str,
        depth: int,
        lastmod: datetime | None = None,
        meta: dict[str, Any] | None = None,
    ) -> scrapy.Request | None:
        """A request for url, or None when it is too long, offsite, too deep, already seen or stored, or past the
        list cap."""
        if url_too_long(url):
            self.skip_long_url(source, url)
            return None
        url = canonical_url(url)
        if not host_allowed(urlsplit(url).hostname, source.allowed_domains):
            self.counts["links_offsite"] += 1
            return None
        if depth > source.max_depth:
            self.counts["links_too_deep"] += 1
            return None
        if url in self.seen:
            return None
        if kind == "list":
            if self.list_requests[source.name] >= source.max_list_pages:
                self.count(source.name, "list_pages_capped")
                return None
            self.list_requests[source.name] += 1
        known = self.known.get(url) if kind == "article" else None
        if known is not None:
            changed = lastmod is not None and known.fetched_at is not None and lastmod > known.fetched_at
            if not changed:
                self.counts["articles_known_skipped"] += 1
                self.seen.add(url)
                return None
        self.seen.add(url)
        request = self._build(source, url, kind, depth, known, meta)
        if url_too_long(request.url):  # the request's URL, percent-encoded, grew past the limit
            self.counts["requests"] -= 1
            self.skip_long_url(source, request.url)
            return None
        return request

    def skip_long_url(self, source: SourceConfig, url: str) -> None:
        self.counts["links_too_long"] += 1
        self.record_error(
            url[:200] + "…",
            source.name,
            f"skipped: URL longer than {MAX_URL_LENGTH} characters ({len(url)})",
            count=False,
        )

    def _build(
        self,
        source: SourceConfig,
        url: str,
        kind: str,
        depth: int,
        known: KnownPage | None,
        extra: dict[str, Any] | None = None,
    ) -> scrapy.Request:
        self.seen.add(url)
        meta: dict[str, Any] = {"source": source.name, "kind": kind, "hops": depth, **(extra or {})}
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
            url,
            callback=self.parse,
            errback=self.on_error,
            meta=meta,
            headers=headers,
            dont_filter=not self.frontier,
            priority={"sitemap": 30, "feed": 30, "list": 20, "article": 10}.get(kind, 0),
        )

    # -- responses --------------------------------------------------------------------------------------------

    def parse(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source"]]
        self.by_source[source.name]["responses"] += 1
        kind = response.meta["kind"]
        depth = response.meta["hops"]  # the link depth as max_depth counts it (Scrapy's own "depth" counts pagination)
        if response.status == 304:
            self.counts["not_modified"] += 1
            self.unchanged(response, source.name)
            return
        body = response.body
        previous = response.meta.get("previous_sha256")
        if previous is not None:
            if hashlib.sha256(body).hexdigest() == previous:  # a server without validators: the same bytes
                self.unchanged(response, source.name)
            elif response.meta.get("revisit"):
                self.count(source.name, "revisit_changed")
        if kind in ("sitemap", "feed"):
            yield from self.parse_xml(source, response, kind, depth)
            return
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if looks_binary(body) or (
            content_type
            and "html" not in content_type
            and "xml" not in content_type
            and not content_type.startswith("text/")
        ):
            self.record_error(response.url, source.name, f"not HTML ({content_type or 'no content type'})")
            return
        if kind == "article" or source.is_article(response.url):
            kind = "article"
        yield self.item(response, source, kind, depth)
        yield from follow_links(
            self,
            source,
            response.url,
            ascii_compatible(body),
            depth,
            on_list=kind == "list",
            streak=response.meta.get("known_streak", 0),
        )

    def unchanged(self, response: Response, source: str) -> None:
        """A stored article answered 304, or the same bytes: remember the check, so revisits are spaced."""
        redirects = response.meta.get("redirect_urls") or []
        self.checked[canonical_url(redirects[0]) if redirects else response.url] = datetime.now(UTC)
        if response.meta.get("revisit"):
            self.count(source, "revisit_unchanged")

    def parse_xml(self, source: SourceConfig, response: Response, kind: str, depth: int) -> Iterator[Any]:
        body = response.body
        if body[:2] == GZIP_MAGIC:
            limit = self.settings.getint("MAX_INFLATED_SIZE") or self.settings.getint("DOWNLOAD_MAXSIZE")
            try:
                body, complete = inflate(body, limit)
            except TooLarge:
                self.record_error(response.url, source.name, f"too large: the gzip {kind} inflates past {limit} bytes")
                return
            except zlib.error as exc:
                self.record_error(response.url, source.name, f"bad gzip: {exc}")
                return
            if not complete:
                self.record_error(
                    response.url,
                    source.name,
                    f"truncated gzip: {len(body)} bytes inflated before it broke off; those are read",
                )
        yield self.item(response, source, kind, depth, body=body)
        try:
            document = read_xml(body)
        except BadXml as exc:
            self.record_error(response.url, source.name, str(exc))
            return
        yield from self.follow_entries(source, response.url, document.entries, depth)
        if document.fault:
            self.record_error(
                response.url,
                source.name,
                f"malformed XML, the links before the fault were read: {document.fault}",
            )

    def follow_entries(
        self, source: SourceConfig, base: str, entries: Iterator[XmlEntry], depth: int
    ) -> Iterator[scrapy.Request]:
        """Requests for the links of a sitemap or feed; past SITEMAP_CHILDREN_MAX child sitemaps, records the cut."""
        children_max = self.settings.getint("SITEMAP_CHILDREN_MAX", SITEMAP_CHILDREN_MAX)
        children = 0
        for entry in entries:
            url = urljoin(base, entry.url)
            if url_too_long(url):
                self.skip_long_url(source, url)
                continue
            if entry.is_sitemap:
                children += 1
                if children > children_max:
                    self.counts["sitemaps_cut"] += 1
                    self.record_error(
                        base,
                        source.name,
                        f"sitemap index cut: only its first {children_max} "
                        "sitemaps are followed (SITEMAP_CHILDREN_MAX)",
                    )
                    return
                request = self.request_for(source, url, "sitemap", depth + 1)
            elif source.is_article(url):
                request = self.request_for(source, url, "article", depth + 1, lastmod=entry.lastmod)
            elif source.is_list(url):
                request = self.request_for(source, url, "list", depth + 1)
            else:
                continue
            if request is not None:
                yield request

    def item(
        self, response: Response, source: SourceConfig, kind: str, depth: int, body: bytes | None = None
    ) -> PageItem:
        redirects = list(response.meta.get("redirect_urls", []))
        self.count(source.name, f"fetched_{kind}")
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

    def closed(self, reason: str) -> None:
        """Scrapy's last call: the URL patterns that ran out of time during the crawl go into the run's errors."""
        if self.shared is not None:
            self.shared.leave()
        for timeout in pattern_timeouts():
            self.counts["pattern_timeouts"] += 1
            self.record_error(
                timeout.url[:MAX_URL_LENGTH],
                "",
                f"pattern timeout: {timeout.pattern!r} took more than "
                f"its time on this URL, which counts as not matching"
                + ("; the pattern is no longer tried" if timeout.dropped else ""),
                count=False,
            )

    def on_error(self, failure: Failure) -> None:
        # Scrapy sets Failure.request on the failures it hands to errbacks; Twisted's type does not declare it
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        redirects = request.meta.get("redirect_urls") or []
        url = redirects[0] if redirects else request.url
        if request.meta.get("kind") == "list" and request.meta.get("source"):
            self.count(request.meta["source"], "list_errors")  # its list pages were not all read
        self.record_error(url, request.meta.get("source", ""), failure_reason(failure), final_url=request.url)

    def record_error(
        self, url: str, source: str, reason: str, final_url: str | None = None, count: bool = True
    ) -> None:
        """Keep a failure for the run's errors; `count` adds it to the `errors` count and one per reason, in
        total and for its source."""
        if count:
            key = "error: " + reason.split(":")[0].split("(")[0].strip()
            self.counts[key] += 1
            self.counts["errors"] += 1
            self.by_source[source]["errors"] += 1
            self.by_source[source][key] += 1
        if len(self.errors) < MAX_ERRORS:
            entry = {"url": url, "source": source, "reason": reason}
            if final_url and final_url != url:
                entry["final_url"] = final_url
            self.errors.append(entry)
        self.logger.info("fetch failed: %s: %s", url, reason)
