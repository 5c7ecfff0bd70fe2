"""The HTTP side of the demo portal: routing, conditional GETs, traps, and the server thread."""

from __future__ import annotations

import collections
import hashlib
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.demo import county, feeds, hq, portal, traps
from crawler.demo.catalogue import Entry, list_path, pages_of
from crawler.demo.markup import esc, link_list
from crawler.demo.pages import Content, RenderedPage, current_content

HTML = "text/html; charset=utf-8"


@dataclass
class Reply:
    status: int
    body: bytes | Iterable[bytes] = b""
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None  # for streamed bodies
    delay: float = 0.0  # seconds to wait before answering


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, b"", headers={"Location": location})


def not_found() -> Reply:
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>404</title></head>'
        "<body><h1>404 页面不存在</h1><p>您访问的页面不存在或已被删除。</p></body></html>"
    )
    return Reply(404, page.encode())


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def not_modified(headers: Any, etag: str, modified: datetime) -> bool:
    """True when the request's validators show the client already holds this version."""
    if_none = headers.get("If-None-Match")
    if if_none:
        return etag in [tag.strip() for tag in if_none.split(",")] or if_none.strip() == "*"
    since = headers.get("If-Modified-Since")
    if since:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def month_after(month: str, step: int) -> str:
    year, number = (int(x) for x in month.split("-"))
    index = year * 12 + number - 1 + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def home_page(content: Content) -> bytes:
    sites = (
        ("/hq/index.html", hq.SITE_NAME),
        ("/county/index.html", county.SITE_NAME),
        ("/portal/index.html", portal.SITE_NAME),
    )
    counts = "".join(f"<li>{site}: {len(entries)} 篇</li>" for site, entries in content.entries.items())
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>aidnews 本地测试门户</title></head>
<body><h1>aidnews 本地测试门户</h1>{link_list(sites)}<ul>{counts}</ul></body></html>
""".encode()


class Router:
    """Maps a request to a Reply; holds the per-server state (hit counts, the flaky page's first failure)."""

    def __init__(
        self, base_url: str, slow_seconds: float, stopping: threading.Event, edits: Path | None = None
    ) -> None:
        self.base_url = base_url
        self.slow_seconds = slow_seconds
        self.stopping = stopping
        self.edits = edits  # a directory of article corrections (crawler.demo.corpus), served as they appear
        self.hits: collections.Counter[str] = collections.Counter()
        self.failed_once: set[str] = set()
        self.lock = threading.Lock()

    def route(self, target: str, headers: Any) -> Reply:
        with self.lock:
            self.hits[target] += 1
        parts = urlsplit(target)
        path = parts.path.split(";", 1)[0]  # ;jsessionid=… is ignored, as Java servers do
        query = parse_qs(parts.query)
        content = current_content(self.edits)
        page = content.pages.get(path)
        if page is not None:
            if path == content.flaky_path() and self.first_flaky(path):
                return Reply(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>")
            return self.article(page, headers)
        return self.fixed(path, query, content) or self.dynamic(path, content) or not_found()

    def first_flaky(self, path: str) -> bool:
        """True only the first time the flaky page is asked for, whatever the spelling of its URL."""
        with self.lock:
            first = path not in self.failed_once
            self.failed_once.add(path)
            return first

    def article(self, page: RenderedPage, headers: Any) -> Reply:
        truth = page.truth or {}
        modified = datetime.fromisoformat(truth.get("modified_at") or truth["published_at"])
        etag = etag_of(page.body)
        validators = {"ETag": etag, "Last-Modified": format_datetime(modified.astimezone(UTC), usegmt=True)}
        if not_modified(headers, etag, modified):
            return Reply(304, b"", page.content_type, validators)
        return Reply(200, page.body, page.content_type, validators)

    def fixed(self, path: str, query: dict[str, list[str]], content: Content) -> Reply | None:
        """Traps and machine-readable files."""
        b = self.base_url
        hq_entries = content.entries["hq"]
        chain_target = content.chain_target() or traps.MISSING[0]
        xml, gz = "application/xml; charset=utf-8", "application/gzip"
        table: dict[str, Any] = {
            "/robots.txt": lambda: Reply(200, traps.ROBOTS_TXT.format(base=b).encode(), "text/plain"),
            feeds.SITEMAP: lambda: Reply(200, feeds.sitemap(b, hq_entries), xml),
            feeds.SITEMAP_INDEX: lambda: Reply(200, feeds.sitemap_index(b, hq_entries), xml),
            feeds.SITEMAP_ARCHIVE: lambda: Reply(200, feeds.sitemap_archive(b, hq_entries), gz),
            feeds.RSS: lambda: Reply(200, feeds.rss(b, hq_entries), "application/rss+xml; charset=utf-8"),
            traps.REDIRECT_CHAIN: lambda: redirect(traps.REDIRECT_HOPS[0], 301),
            traps.REDIRECT_HOPS[0]: lambda: redirect(b + traps.REDIRECT_HOPS[1], 302),  # absolute, as many do
            traps.REDIRECT_HOPS[1]: lambda: redirect(chain_target, 301),
            traps.REDIRECT_LOOP: lambda: redirect(traps.LOOP_HOPS[0]),
            traps.LOOP_HOPS[0]: lambda: redirect(traps.LOOP_HOPS[1]),
            traps.LOOP_HOPS[1]: lambda: redirect(traps.REDIRECT_LOOP),
            traps.REDIRECT_OFFSITE: lambda: redirect(traps.OFFSITE_TARGET),
            traps.SLOW: lambda: Reply(200, traps.slow_page().encode(), delay=self.slow_seconds),
            traps.HUGE: lambda: Reply(200, traps.huge_chunks(), length=traps.HUGE_SIZE),
            traps.BINARY: lambda: Reply(200, traps.binary_body(), "text/html"),
            traps.WEATHER: lambda: Reply(200, traps.weather_page().encode()),
            traps.HIRING: lambda: Reply(200, traps.hiring_page().encode("gb18030"), "text/html"),
            traps.ROBOTS_DISALLOWED: lambda: Reply(200, traps.preview_page().encode()),
        }
        make = table.get(path)
        if make is not None:
            return make()
        if path == traps.CALENDAR:
            return self.calendar(query.get("month", [content.calendar_month()])[0], hq_entries)
        return None

    def calendar(self, month: str, entries: list[Entry]) -> Reply:
        try:
            previous, following = month_after(month, -1), month_after(month, 1)
        except ValueError:
            return not_found()
        rows = [(e.path, e.article.title) for e in entries if f"{e.published_at:%Y-%m}" == month]
        listing = link_list(rows) if rows else "<p>本月暂无信息</p>"
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{esc(month)} 按月浏览_{hq.SITE_NAME}</title></head><body><h1>{esc(month)}</h1>{listing}
<p><a href="{traps.CALENDAR}?month={previous}">上个月</a> \
<a href="{traps.CALENDAR}?month={following}">下个月</a></p>
</body></html>
"""
        return Reply(200, page.encode())

    def dynamic(self, path: str, content: Content) -> Reply | None:
        """Home and list pages."""
        if path in ("/", "/index.html"):
            return Reply(200, home_page(content))
        homes = {
            "/hq/": "hq",
            "/hq/index.html": "hq",
            "/county/": "county",
            "/county/index.html": "county",
            "/portal/": "portal",
            "/portal/index.html": "portal",
        }
        if path in homes:
            path = list_path(homes[path], 1)
        for site in ("hq", "county", "portal"):
            pages = pages_of(content.entries[site])
            for number in range(1, len(pages) + 1):
                if path == list_path(site, number):
                    return self.list_reply(site, number, pages, content)
        return None

    def list_reply(self, site: str, number: int, pages: list[list[Entry]], content: Content) -> Reply:
        entries = pages[number - 1]
        total = len(pages)
        hq_entries, county_entries = content.entries["hq"], content.entries["county"]
        if site == "hq":
            extra = (
                traps.hq_links(self.base_url, hq_entries, county_entries, content.calendar_month())
                if number == 1
                else ""
            )
            return Reply(200, hq.list_page(entries, number, total, hq_entries[:6], extra).encode())
        if site == "county":
            extra = traps.county_rows() if number == 1 else ""
            return Reply(200, county.list_page(entries, number, total, extra).encode("gb18030"), "text/html")
        extra = traps.portal_links() if number == 1 else ""
        return Reply(200, portal.list_page(entries, number, total, extra).encode())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: PortalServer

    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        self.answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self.answer(send_body=False)

    def answer(self, send_body: bool) -> None:
        router = self.server.router
        reply = router.route(self.path, self.headers)
        if reply.delay and router.stopping.wait(reply.delay):
            return
        chunks: Iterator[bytes] | None = None
        if isinstance(reply.body, bytes | bytearray):
            length = len(reply.body)
        else:
            chunks = iter(reply.body)
            length = reply.length or 0
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(length))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not send_body or reply.status == 304:
            return
        try:
            if chunks is None:
                self.wfile.write(reply.body)  # type: ignore[arg-type]
                return
            for chunk in chunks:
                if router.stopping.is_set():
                    self.close_connection = True
                    return
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base class)
        return


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, host: str, port: int, slow_seconds: float, edits: Path | None = None) -> None:
        super().__init__((host, port), Handler)
        bound_host, bound_port = self.server_address[:2]
        self.router = Router(f"http://{bound_host!s}:{bound_port}", slow_seconds, threading.Event(), edits)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (a crawler refusing a 10 MB page, a timeout) are normal here, not errors."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)
