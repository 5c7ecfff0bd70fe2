"""The bundled test portal: three simulated Chinese aid-news sites plus crawler traps, on 127.0.0.1.

    with DemoPortal() as portal:          # a free port, served from a thread
        sources = demo_sources(portal.base_url)

- `/hq/`     a provincial aid headquarters site: UTF-8, Simplified, paginated column, sitemaps, RSS.
- `/county/` a county government site: GBK bytes, gb2312 in <meta>, no or a wrong charset in HTTP.
- `/portal/` a syndication portal: Traditional with pinyin, GBK mojibake runs, heavy furniture.

Articles come from `crawler/demo/corpus/*.jsonl`; `ground_truth` and `render_articles` give what a correct
extractor should find on every article page, `trap_truth` what a correct crawler records for every trap.
"""

from __future__ import annotations

import collections
import threading
from pathlib import Path
from typing import Any

from crawler.demo import traps as trap_pages
from crawler.demo.catalogue import list_path
from crawler.demo.feeds import RSS, SITEMAP_INDEX
from crawler.demo.pages import RenderedPage, current_content, render_articles
from crawler.demo.server import PortalServer

__all__ = ["DemoPortal", "RenderedPage", "demo_sources", "ground_truth", "render_articles", "serve", "trap_truth"]


class DemoPortal:
    """The demo portal served from a background thread; a context manager."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, slow_seconds: float = 6.0, edits: Path | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.slow_seconds = slow_seconds
        self.edits = edits  # a directory of article corrections to serve (crawler.demo.corpus)
        self._server: PortalServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the demo portal is not started")
        return self._server.router.base_url

    @property
    def hits(self) -> collections.Counter[str]:
        """Requests served per request target (path with query), e.g. hits['/hq/gzdt/list_1.html']."""
        if self._server is None:
            raise RuntimeError("the demo portal is not started")
        return self._server.router.hits

    def start(self) -> DemoPortal:
        if self._server is None:
            current_content(self.edits)  # render once before the first request, so no request waits for it
            self._server = PortalServer(self.host, self.port, self.slow_seconds, self.edits)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="aidnews-demo-portal",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.router.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> DemoPortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(host: str, port: int, edits: Path | None = None) -> None:
    """Serve the demo portal in the foreground until Ctrl-C (with the article corrections in `edits`)."""
    current_content(edits)
    server = PortalServer(host, port, slow_seconds=6.0, edits=edits)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.router.stopping.set()
        server.server_close()


def demo_sources(base_url: str) -> list[dict[str, Any]]:
    """One source table per simulated site, in the shape of a `[[source]]` of sources.toml."""
    base = base_url.rstrip("/")
    common: dict[str, Any] = {
        "allowed_domains": ["127.0.0.1"],
        "keywords": [],
        "max_depth": 5,
        "schedule": "*/30 * * * *",
        "enabled": True,
        "body_selector": "",
        "local": True,
    }
    return [
        {
            "name": "demo-hq",
            "start_urls": [base + list_path("hq", 1)],
            "article_patterns": [r"/content/\d{4}-\d{2}/\d{2}/c_\d+\.html"],
            "list_patterns": [r"/hq/gzdt/list_\d+\.html$", r"/hq/calendar\?month=\d{4}-\d{2}$"],
            "sitemaps": [base + SITEMAP_INDEX],
            "feeds": [base + RSS],
            **common,
        },
        {
            "name": "demo-county",
            "start_urls": [base + list_path("county", 1)],
            "article_patterns": [r"/county/dwzy/\d{6}/t\d{8}_\d+\.html"],
            "list_patterns": [r"/county/dwzy/index(_\d+)?\.html$"],
            "sitemaps": [],
            "feeds": [],
            **common,
        },
        {
            "name": "demo-portal",
            "start_urls": [base + list_path("portal", 1)],
            "article_patterns": [r"/portal/html/\d{6}/\d{2}/\d+\.html"],
            "list_patterns": [r"/portal/zixun/list_\d+\.html$"],
            "sitemaps": [],
            "feeds": [],
            **common,
        },
    ]


def ground_truth(base_url: str) -> list[dict[str, Any]]:
    """What a correct extractor finds on each article page (one dict per page URL, absolute URLs)."""
    base = base_url.rstrip("/")
    rows = []
    for page in render_articles():
        truth = dict(page.truth or {})
        truth["url"] = base + page.path
        truth["canonical_of"] = base + truth["canonical_of"] if truth.get("canonical_of") else None
        truth["content_type"] = page.content_type
        rows.append(truth)
    return rows


def trap_truth(base_url: str) -> list[dict[str, str]]:
    """Every trap the portal serves: {"url", "kind", "expect"}.

    Not named `traps`: a package attribute of that name would hide the `crawler.demo.traps` module.
    """
    content = current_content()
    hq_entries, county_entries = content.entries["hq"], content.entries["county"]
    found = trap_pages.trap_list(
        base_url.rstrip("/"),
        hq_entries,
        county_entries,
        content.flaky_path(),
        content.chain_target(),
        content.calendar_month(),
    )
    return [{"url": t.url, "kind": t.kind, "expect": t.expect} for t in found]
