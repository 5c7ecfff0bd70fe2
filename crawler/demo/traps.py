"""Crawler traps served by the demo portal, and what a correct crawler records for each.

Every trap is linked from a list page (`links_for`), so a crawler meets it in the normal course of a crawl.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from dataclasses import dataclass

from crawler.demo.catalogue import Entry
from crawler.demo.markup import esc

CALENDAR = "/hq/calendar"  # ?month=YYYY-MM, endless next/previous links
REDIRECT_CHAIN = "/hq/content/2023-05/20/c_9001.html"  # 3 hops, then an article
REDIRECT_HOPS = ("/hq/go/9001/2.html", "/hq/go/9001/3.html")
REDIRECT_LOOP = "/hq/content/2023-05/21/c_9002.html"
LOOP_HOPS = ("/hq/go/9002/a.html", "/hq/go/9002/b.html")
REDIRECT_OFFSITE = "/hq/content/2023-05/22/c_9007.html"
OFFSITE_TARGET = "http://www.example.com/content/2023-05/22/c_9007.html"
MISSING = ("/hq/content/2022-12/01/c_9404.html", "/county/dwzy/202212/t20221201_990404.html")
SLOW = "/hq/content/2023-04/18/c_9003.html"
HUGE = "/portal/html/202303/15/99004.html"
HUGE_SIZE = 10 * 1024 * 1024
BINARY = "/county/dwzy/202303/t20230309_990005.html"
WEATHER = "/hq/content/2023-05/30/c_9006.html"  # not about aid work (天气)
HIRING = "/county/dwzy/202305/t20230530_990006.html"  # not about aid work (招聘)
ROBOTS_DISALLOWED = "/hq/admin/content/2023-06/01/c_9100.html"
OFFSITE_LINK = "http://www.example.com/news/2023/0612/aid.html"

ROBOTS_TXT = """User-agent: *
Disallow: /hq/admin/
Disallow: /county/search/

Sitemap: {base}/hq/sitemap_index.xml
"""


@dataclass(frozen=True)
class Trap:
    url: str
    kind: str
    expect: str


def session_token(label: str) -> str:
    """A session-like token, the same on every run."""
    return hashlib.sha1(label.encode()).hexdigest()[:32].upper()


def tracking_urls(articles: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(kind, path, title) links that point at real articles with tracking or session noise in the URL."""
    if not articles:
        return []
    first, second, third = (articles * 3)[:3]
    return [
        ("tracking_params", f"{first[0]}?utm_source=weixin&utm_medium=share&utm_campaign=yj", first[1]),
        ("session_id", f"{second[0]};jsessionid={session_token('jsession')}", second[1]),
        ("session_id", f"{third[0]}?sid={session_token('sid').lower()}", third[1]),
    ]


def noisy_targets(hq_entries: list[Entry], county_entries: list[Entry]) -> list[tuple[str, str]]:
    """The articles the noisy links point at: two hq articles and one county article.

    Not the flaky article (hq 3rd) nor the end of the redirect chain (hq 4th): each noisy link must be the
    only reason its article is requested twice, so a crawler's deduplication can be counted.
    """
    chosen = (hq_entries[4:6] or hq_entries[:2]) + county_entries[:1]
    return [(e.path, e.article.title) for e in chosen]


def offsite_loopback(base_url: str) -> str:
    port = base_url.rsplit(":", 1)[-1]
    return f"http://127.0.0.2:{port}/hq/content/2023-06/12/c_9200.html"


def trap_list(
    base_url: str,
    hq_entries: list[Entry],
    county_entries: list[Entry],
    flaky: str | None,
    chain_target: str | None,
    calendar_month: str,
) -> list[Trap]:
    b = base_url
    traps = [
        Trap(
            f"{b}{CALENDAR}?month={calendar_month}",
            "calendar",
            "endless next/previous-month links: followed only to max_depth, never more than a few pages",
        ),
        Trap(
            f"{b}{REDIRECT_CHAIN}",
            "redirect_chain",
            f"3 redirects, then the article {b}{chain_target}: stored once, under one canonical URL"
            if chain_target
            else "3 redirects, then a 404 (no article yet)",
        ),
        Trap(f"{b}{REDIRECT_LOOP}", "redirect_loop", "redirect loop: an error with reason, nothing stored"),
        Trap(
            f"{b}{REDIRECT_OFFSITE}",
            "redirect_offsite",
            "redirect to www.example.com: refused (offsite), never fetched",
        ),
        Trap(f"{b}{MISSING[0]}", "not_found", "HTTP 404 recorded"),
        Trap(f"{b}{MISSING[1]}", "not_found", "HTTP 404 recorded"),
        Trap(f"{b}{SLOW}", "slow", "answers after slow_seconds: timed out (local timeout is shorter)"),
        Trap(f"{b}{HUGE}", "too_large", f"{HUGE_SIZE} bytes with Content-Length: refused as too large"),
        Trap(f"{b}{BINARY}", "binary", "PNG and random bytes served as text/html: recorded as not HTML"),
        Trap(f"{b}{WEATHER}", "not_aid", "a weather notice on an article URL: fetched, then skipped by ETL"),
        Trap(f"{b}{HIRING}", "not_aid", "a job notice on an article URL: fetched, then skipped by ETL"),
        Trap(f"{b}{ROBOTS_DISALLOWED}", "robots", "disallowed by /robots.txt: never requested"),
        Trap(OFFSITE_LINK, "offsite_link", "another domain: not followed"),
        Trap(offsite_loopback(b), "offsite_loopback", "another loopback address: not followed"),
    ]
    if flaky:
        traps.append(
            Trap(
                f"{b}{flaky}", "flaky_500", "HTTP 500 on the first request, 200 after: retried and stored as an article"
            )
        )
    for kind, path, _ in tracking_urls(noisy_targets(hq_entries, county_entries)):
        traps.append(Trap(f"{b}{path}", kind, "canonicalised to the article URL: fetched once"))
    return traps


def hq_links(base_url: str, hq_entries: list[Entry], county_entries: list[Entry], calendar_month: str) -> str:
    """Sidebar boxes for the first hq list page: every hq trap, dressed as ordinary links."""
    noisy = tracking_urls(noisy_targets(hq_entries, county_entries))
    recommended = "".join(f'<li><a href="{esc(path)}">{esc(title)}</a></li>' for _, path, title in noisy)
    specials = (
        (REDIRECT_CHAIN, "援疆工作专题回顾"),
        (REDIRECT_LOOP, "对口支援成果展"),
        (REDIRECT_OFFSITE, "援疆干部风采"),
        (MISSING[0], "2022年度工作总结"),
        (SLOW, "援疆项目建设进度公示"),
        (WEATHER, "喀什地区天气预报"),
        (OFFSITE_LINK, "合作媒体"),
        (offsite_loopback(base_url), "镜像站点"),
    )
    special_items = "".join(f'<li><a href="{esc(href)}">{esc(text)}</a></li>' for href, text in specials)
    return f"""<div class="box"><h3>推荐阅读</h3><ul>{recommended}</ul></div>
<div class="box"><h3>专题</h3><ul>{special_items}</ul></div>
<div class="box"><h3>按月浏览</h3><a href="{CALENDAR}?month={calendar_month}">{calendar_month}</a></div>
<div class="box admin"><a href="{ROBOTS_DISALLOWED}">内容预览</a></div>"""


def county_rows() -> str:
    items = (
        (BINARY, "县域经济发展图解"),
        (MISSING[1], "2022年政府信息公开年报"),
        (HIRING, "2023年县属事业单位公开招聘公告"),
    )
    return "\n".join(
        f'<tr><td class="dot">·</td><td><a href="{href}" target="_blank">{text}</a></td><td></td></tr>'
        for href, text in items
    )


def portal_links() -> str:
    return f'<div class="special"><a href="{HUGE}">圖集：邊疆好風光</a></div>'


def huge_chunks(chunk_size: int = 64 * 1024):
    """HUGE_SIZE bytes of a valid but absurdly long HTML page, in chunks."""
    head = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>图集</title></head><body>'.encode()
    tail = b"</body></html>"
    line = "<p>图片加载中，请稍候……</p>\n".encode()
    remaining = HUGE_SIZE - len(head) - len(tail)
    yield head
    block = line * (chunk_size // len(line))
    while remaining > 0:
        piece = block[:remaining]
        remaining -= len(piece)
        yield piece
    yield tail


def binary_body() -> bytes:
    """A small PNG followed by random bytes (seeded): what a misconfigured server sends as text/html."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = zlib.compress(b"\x00\xff\x00\x00" * 1)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )
    return png + random.Random("binary-trap").randbytes(20000)


def notice_page(title: str, paragraphs: list[str], date: str, charset: str = "utf-8") -> str:
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>{esc(title)}</title></head>
<body><h1>{esc(title)}</h1><div class="info">发布时间：{date}</div>
<div class="content">{body}</div></body></html>
"""


def weather_page() -> str:
    return notice_page(
        "喀什地区未来三天天气预报",
        [
            "据地区气象台预报，未来三天我地区以晴到多云天气为主，午后山区有分散性阵雨。",
            "最高气温32℃至35℃，最低气温18℃至21℃，偏北风3级左右，请注意防暑降温。",
            "早晚温差较大，请适时增减衣物；沙尘天气出行请佩戴口罩，驾车注意减速慢行。",
        ],
        "2023-05-30 08:00",
    )


def hiring_page() -> str:
    return notice_page(
        "2023年县属事业单位公开招聘工作人员公告",
        [
            "根据工作需要，经研究决定，面向社会公开招聘县属事业单位工作人员，现将有关事项公告如下。",
            "报名时间为6月5日至6月9日，报名人员须具有全日制大专及以上学历，年龄在35周岁以下。",
            "笔试内容为公共基础知识，考试时间另行通知。咨询电话：0998-1234567。",
        ],
        "2023-05-30 10:00",
        charset="gb2312",
    )


def slow_page() -> str:
    return notice_page("项目建设进度公示", ["本页内容正在更新，请稍后访问。"], "2023-04-18 09:00")


def preview_page() -> str:
    return notice_page("内容预览（后台）", ["此页面仅供编辑人员预览，请勿转载。"], "2023-06-01 12:00")
