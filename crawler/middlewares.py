"""Downloader middlewares: where requests may go, and how failed ones are retried."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from etl.urls import MAX_URL_LENGTH, canonical_url, host_allowed, is_private_host, url_too_long

log = logging.getLogger(__name__)


class SafetyMiddleware:
    """Only a source's allowed domains, also after redirects; no loopback or private targets unless local.

    Here, before any connection: hosts written as an address or as `localhost`, and over-long URLs (a redirect
    can lead to one). A name that resolves to a private address is refused by the resolver that the
    connection itself uses (crawler.resolver), so the address checked is the address connected to.
    Also stops redirect loops by name: the spider filters duplicates itself (requests carry
    dont_filter), so a loop would otherwise only end at REDIRECT_MAX_TIMES.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SafetyMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider: Any = self.crawler.spider
        source = getattr(spider, "sources", {}).get(request.meta.get("source"))
        if source is None:  # robots.txt and other engine-made requests inherit nothing
            return None
        if url_too_long(request.url):
            raise IgnoreRequest(f"skipped: URL longer than {MAX_URL_LENGTH} characters ({len(request.url)})")
        host = urlsplit(request.url).hostname
        if not host_allowed(host, source.allowed_domains):
            raise IgnoreRequest(f"offsite: {host} is not among the source's allowed domains")
        if not source.local and is_private_host(host, resolve=False):
            raise IgnoreRequest(f"private address: {host} is loopback or private and the source is not local")
        previous = request.meta.get("redirect_urls") or []
        if previous and canonical_url(request.url) in {canonical_url(u) for u in previous}:
            raise IgnoreRequest(f"redirect loop: {request.url} redirects back to itself")
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, with an exponential back-off between tries and `Retry-After` honoured."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = self.retry_after(response)
        if wait is not None and wait > self.backoff_max:
            log.info("not retrying %s: Retry-After %.0fs exceeds RETRY_BACKOFF_MAX", request.url, wait)
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await asyncio.sleep(wait if wait is not None else self.backoff(request))
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await asyncio.sleep(self.backoff(request))
        return retry

    def backoff(self, request: Request) -> float:
        base = request.meta.get("retry_backoff_base", self.backoff_base)
        tries = request.meta.get("retry_times", 0)
        return min(self.backoff_max, base * (2 ** tries))

    @staticmethod
    def retry_after(response: Response) -> float | None:
        value = response.headers.get(b"Retry-After")
        if not value:
            return None
        text = value.decode("latin-1").strip()
        if text.isdigit():
            return float(text)
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
