"""A deep news archive on 127.0.0.1: hundreds of articles behind 下一页 pagination, for first and later crawls.

Real portals keep years of articles in one column, tens or hundreds of list pages deep. This portal is one
such column, generated (no corpus): `articles` articles, newest first, `per_page` to a list page, each
page linking only the next (下一页) and the previous one. Some articles are listed nowhere but in the
sitemap, some nowhere but in the RSS feed; every page is GBK with its charset only in a <meta> tag (the
HTTP Content-Type names none), as on many county portals. `publish(n)` adds n new articles at the top of
the column while the portal runs, which shifts every list page by n, as a real column does (the odd-numbered
ones go to the feed alone).

    with ArchivePortal() as archive:
        source = archive.source()          # a [[source]] table for it
        ...
        archive.publish(7)
"""

from __future__ import annotations

import collections
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from crawler.demo.markup import esc

LIST_FIRST = "/yjdt/index.html"
LIST_PAGE = "/yjdt/index_{n}.html"  # n = 2, 3, …
SITEMAP = "/sitemap.xml"
FEED = "/rss.xml"
FEED_ITEMS = 20  # the feed carries the newest listed articles, and the feed-only ones
BEIJING = ZoneInfo("Asia/Shanghai")
FIRST_DAY = datetime(2019, 3, 1, 9, 0, tzinfo=BEIJING)
SITE = "援疆工作动态"

# Phrases the generated articles are built from (written for this portal).
_PROVINCES = ("江苏", "浙江", "广东", "山东", "上海", "北京", "天津", "辽宁", "湖北", "安徽", "河南", "福建")
_PLACES = (
    "喀什地区",
    "和田地区",
    "阿克苏地区",
    "克州",
    "伊犁州",
    "昌吉州",
    "哈密市",
    "塔城地区",
    "阿勒泰地区",
    "博州",
    "巴州",
    "吐鲁番市",
)
_PROJECTS = (
    "安居富民工程",
    "职业技能实训基地",
    "县人民医院门诊楼",
    "乡村振兴示范村",
    "中小学教学楼",
    "农产品冷链物流中心",
    "饮水安全工程",
    "产业园标准厂房",
    "双语幼儿园",
    "社区服务中心",
)
_ACTIONS = ("开工建设", "竣工验收", "投入使用", "签约落地", "进展顺利", "通过评审")
_OPENINGS = (
    "近日，{province}援疆前方指挥部在{place}召开{project}推进会，通报项目建设进展情况。",
    "记者从{province}对口支援{place}工作组获悉，{project}目前{action}。",
    "{month}月以来，{province}援疆干部人才围绕{project}持续发力，各项工作稳步推进。",
)
_MIDDLES = (
    "该项目总投资{money}万元，其中援疆资金{aid}万元，建成后可惠及群众{people}人。",
    "项目建设期间共带动当地{workers}名群众就近务工，人均月增收{income}元。",
    "今年以来，{province}累计选派{cadres}名援疆干部人才，实施援疆项目{projects}个。",
    "指挥部协调引进企业{firms}家，新增就业岗位{jobs}个，助力当地产业发展。",
    "{place}卫健部门介绍，组团式援疆专家今年已开展门诊{visits}人次、手术{surgeries}台。",
)
_CLOSINGS = (
    "下一步，{province}援疆工作组将继续聚焦民生，推动{project}早日发挥效益。",
    "与会人员表示，将把对口支援各项任务落到实处，为{place}高质量发展贡献力量。",
    "据悉，{project}是{province}对口援疆“十四五”规划的重点民生项目之一。",
)


@dataclass(frozen=True)
class ArchiveArticle:
    number: int  # 1 = the oldest
    title: str
    published_at: datetime
    paragraphs: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"/yjdt/{self.published_at:%Y%m}/t{self.published_at:%Y%m%d}_{100000 + self.number}.html"


def make_article(number: int) -> ArchiveArticle:
    """Article `number` of the archive, the same on every run (seeded by its number)."""
    rng = random.Random(f"archive-{number}")
    published = FIRST_DAY + timedelta(hours=37 * number + rng.randrange(0, 9))
    words = {
        "province": rng.choice(_PROVINCES),
        "place": rng.choice(_PLACES),
        "project": rng.choice(_PROJECTS),
        "action": rng.choice(_ACTIONS),
        "month": published.month,
        "money": rng.randrange(800, 90000),
        "aid": rng.randrange(300, 800),
        "people": rng.randrange(2000, 60000),
        "workers": rng.randrange(30, 900),
        "income": rng.randrange(1500, 4200),
        "cadres": rng.randrange(40, 400),
        "projects": rng.randrange(12, 160),
        "firms": rng.randrange(3, 60),
        "jobs": rng.randrange(50, 3000),
        "visits": rng.randrange(1000, 30000),
        "surgeries": rng.randrange(50, 900),
    }
    middles = rng.sample(_MIDDLES, 3)
    paragraphs = (rng.choice(_OPENINGS), *middles, rng.choice(_CLOSINGS))
    title = f"{words['province']}援疆：{words['place']}{words['project']}{words['action']}（第{number}期）"
    return ArchiveArticle(number, title, published, tuple(p.format(**words) for p in paragraphs))


class Archive:
    """The column's articles and which of them each page, sitemap and feed shows.

    Of the first `articles`, the newest 2 × `feed_only` hold the feed-only ones (every odd-numbered one, and
    every odd one published later); `sitemap_only` articles spread evenly over the older ones are in the
    sitemap alone.
    """

    def __init__(self, articles: int, per_page: int, sitemap_only: int, feed_only: int) -> None:
        self.per_page = per_page
        self.feed_only_after = max(0, articles - 2 * feed_only)
        self.sitemap_every = self.feed_only_after // sitemap_only if sitemap_only else 0
        self.articles: list[ArchiveArticle] = []
        self.by_path: dict[str, ArchiveArticle] = {}
        self.lock = threading.Lock()
        self.publish(articles)

    def publish(self, count: int) -> list[ArchiveArticle]:
        with self.lock:
            start = len(self.articles) + 1
            new = [make_article(n) for n in range(start, start + count)]
            self.articles = new[::-1] + self.articles  # newest first
            self.by_path = {a.path: a for a in self.articles}
            return new

    def feed_only(self, article: ArchiveArticle) -> bool:
        return article.number > self.feed_only_after and article.number % 2 == 1

    def sitemap_only(self, article: ArchiveArticle) -> bool:
        return (
            bool(self.sitemap_every)
            and article.number <= self.feed_only_after
            and article.number % self.sitemap_every == 0
        )

    def listed(self) -> list[ArchiveArticle]:
        return [a for a in self.articles if not self.feed_only(a) and not self.sitemap_only(a)]

    def pages(self) -> list[list[ArchiveArticle]]:
        listed = self.listed()
        return [listed[i : i + self.per_page] for i in range(0, len(listed), self.per_page)] or [[]]


def list_path(number: int) -> str:
    return LIST_FIRST if number == 1 else LIST_PAGE.format(n=number)


def _page(title: str, body: str) -> bytes:
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"><title>{esc(title)}</title></head>
<body><div class="top"><a href="/">首页</a> &gt; <a href="{LIST_FIRST}">{SITE}</a></div>
{body}
<div class="footer">主办：援疆工作信息中心</div></body></html>
""".encode("gbk")


def list_page(archive: Archive, number: int) -> bytes | None:
    pages = archive.pages()
    if not 1 <= number <= len(pages):
        return None
    rows = "\n".join(
        f'<li><a href="{a.path}" target="_blank">{esc(a.title)}</a><span>{a.published_at:%Y-%m-%d}</span></li>'
        for a in pages[number - 1]
    )
    pager = [f"共{len(pages)}页", f"第{number}页"]
    pager.append(f'<a href="{list_path(number - 1)}">上一页</a>' if number > 1 else "<span>上一页</span>")
    pager.append(f'<a href="{list_path(number + 1)}">下一页</a>' if number < len(pages) else "<span>下一页</span>")
    return _page(f"{SITE}_第{number}页", f'<ul class="list">{rows}</ul><div class="page">{" ".join(pager)}</div>')


def article_page(article: ArchiveArticle) -> bytes:
    body = "".join(f"<p>{esc(p)}</p>" for p in article.paragraphs)
    return _page(
        article.title,
        f"""<div class="article"><h1>{esc(article.title)}</h1>
<div class="info">发布时间：{article.published_at:%Y-%m-%d %H:%M}　来源：{SITE}</div>
<div class="content">{body}</div></div>""",
    )


def sitemap(archive: Archive, base: str) -> bytes:
    shown = [a for a in archive.articles if archive.sitemap_only(a)] + archive.listed()[::3]
    rows = "".join(
        f"<url><loc>{escape(base + a.path)}</loc><lastmod>{a.published_at.date().isoformat()}</lastmod></url>\n"
        for a in shown
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"\n{rows}</urlset>\n"
    ).encode()


def feed(archive: Archive, base: str) -> bytes:
    shown = [a for a in archive.articles if archive.feed_only(a)] + archive.listed()[:FEED_ITEMS]
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{escape(base + a.path)}</link>"
        f"<pubDate>{format_datetime(a.published_at)}</pubDate></item>\n"
        for a in shown
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{SITE}</title>'
        f"<link>{base}{LIST_FIRST}</link>\n{items}</channel></rss>\n"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ArchiveServer

    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        server = self.server
        path = self.path.split("?", 1)[0]
        with server.archive.lock:
            server.hits[path] += 1
        # No charset in the Content-Type of a page: only the page's <meta> names it.
        content_type = "application/xml" if path in (SITEMAP, FEED) else "text/html"
        status, body = 200, self.route(path)
        if path in server.failing:
            status, body, content_type = 500, b"<html><body>500 Internal Server Error</body></html>", "text/html"
        elif body is None:
            status, body, content_type = 404, b"<html><body>404</body></html>", "text/html"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route(self, path: str) -> bytes | None:
        archive, base = self.server.archive, self.server.base_url
        if path == SITEMAP:
            return sitemap(archive, base)
        if path == FEED:
            return feed(archive, base)
        if path == LIST_FIRST:
            return list_page(archive, 1)
        if path.startswith("/yjdt/index_") and path.endswith(".html"):
            number = path[len("/yjdt/index_") : -len(".html")]
            return list_page(archive, int(number)) if number.isdigit() else None
        article = archive.by_path.get(path)
        return article_page(article) if article else None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base class)
        return


class _ArchiveServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, archive: Archive) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.archive = archive
        self.hits: collections.Counter[str] = collections.Counter()
        self.failing: set[str] = set()  # paths that answer 500, as a portal's broken page does
        host, port = self.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"


class ArchivePortal:
    """The archive served from a background thread on a free loopback port; a context manager."""

    def __init__(self, articles: int = 500, per_page: int = 9, sitemap_only: int = 25, feed_only: int = 25) -> None:
        self.archive = Archive(articles, per_page, sitemap_only, feed_only)
        self._server: _ArchiveServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def server(self) -> _ArchiveServer:
        if self._server is None:
            raise RuntimeError("the archive portal is not started")
        return self._server

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def hits(self) -> collections.Counter[str]:
        """Requests served per path."""
        return self.server.hits

    @property
    def failing(self) -> set[str]:
        """Paths that answer HTTP 500 for now (add and remove while the portal runs)."""
        return self.server.failing

    def publish(self, count: int) -> list[str]:
        """Add `count` new articles at the top of the column (and the feed); returns their URLs."""
        return [self.base_url + a.path for a in self.archive.publish(count)]

    def article_urls(self) -> set[str]:
        return {self.base_url + a.path for a in self.archive.articles}

    def list_pages(self) -> int:
        return len(self.archive.pages())

    def source(self, **overrides: Any) -> dict[str, Any]:
        """A [[source]] table for this portal."""
        return {
            "name": "archive",
            "start_urls": [self.base_url + LIST_FIRST],
            "article_patterns": [r"/yjdt/\d{6}/t\d{8}_\d+\.html$"],
            "list_patterns": [r"/yjdt/index(_\d+)?\.html$"],
            "sitemaps": [self.base_url + SITEMAP],
            "feeds": [self.base_url + FEED],
            "allowed_domains": ["127.0.0.1"],
            "max_depth": 3,
            "local": True,
            **overrides,
        }

    def __enter__(self) -> ArchivePortal:
        self._server = _ArchiveServer(self.archive)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="aidnews-archive-portal", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
