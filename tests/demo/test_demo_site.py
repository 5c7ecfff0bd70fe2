"""The bundled test portal: three simulated sites, their damage, and the traps, fetched over real HTTP."""

from __future__ import annotations

import gzip
import html
import re
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin
from xml.etree import ElementTree

import opencc
import pytest
from shared import demo_articles

from crawler.demo import DemoPortal, demo_sources, ground_truth, render_articles, trap_truth
from crawler.demo.damage import read_out_of_step
from crawler.demo.traps import HUGE_SIZE
from etl.sources import parse_sources

SLOW = 0.3
PINYIN = re.compile(r"[\u4e00-\u9fff]\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


@dataclass
class Fetched:
    status: int
    headers: Message
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, timeout: float = 10.0, headers: dict[str, str] | None = None) -> Fetched:
    """One request, redirects not followed, error statuses returned rather than raised."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Fetched(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, exc.headers, exc.read())


def fetch_ok(url: str) -> Fetched:
    """A GET retried once on a 5xx, as a polite crawler does."""
    got = fetch(url)
    return fetch(url) if got.status >= 500 else got


@pytest.fixture(scope="module")
def portal() -> Iterator[DemoPortal]:
    demo_articles()  # skips when the corpus holds no article
    with DemoPortal(slow_seconds=SLOW) as running:
        yield running


@pytest.fixture(scope="module")
def truth(portal: DemoPortal) -> list[dict]:
    return ground_truth(portal.base_url)


def pages_of(truth: list[dict], site: str) -> list[dict]:
    return [t for t in truth if t["site"] == site]


def links(body: bytes, encoding: str = "utf-8") -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', body.decode(encoding, "replace"))]


def trap_of(portal: DemoPortal, kind: str) -> list[str]:
    return [t["url"] for t in trap_truth(portal.base_url) if t["kind"] == kind]


# -- the three sites -------------------------------------------------------------------------------


def test_hq_list_pagination_reaches_every_hq_article(portal: DemoPortal, truth: list[dict]) -> None:
    base = portal.base_url
    queue, seen_lists, found = ["/hq/gzdt/list_1.html"], set(), set()
    while queue:
        path = queue.pop()
        if path in seen_lists:
            continue
        seen_lists.add(path)
        page = fetch(base + path)
        assert page.status == 200
        for href in links(page.body):
            if re.fullmatch(r"/hq/gzdt/list_\d+\.html", href):
                queue.append(href)
            elif re.fullmatch(r"/hq/content/\d{4}-\d{2}/\d{2}/c_\d+\.html", href):
                found.add(base + href)
    hq_urls = {t["url"] for t in pages_of(truth, "hq")}
    assert hq_urls <= found
    assert len(seen_lists) == max(1, -(-len(hq_urls) // 10))
    first = fetch(base + "/hq/gzdt/list_1.html").body.decode()
    assert "下一页" in first and "上一页" in first


def test_hq_sitemaps_and_feed_list_every_hq_article(portal: DemoPortal, truth: list[dict]) -> None:
    base = portal.base_url
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ElementTree.fromstring(fetch(base + "/hq/sitemap_index.xml").body)
    children = [loc.text for loc in index.findall("s:sitemap/s:loc", ns)]
    assert any(c.endswith(".xml.gz") for c in children)
    listed: set[str] = set()
    for child in children:
        body = fetch(child).body
        urlset = ElementTree.fromstring(gzip.decompress(body) if child.endswith(".gz") else body)
        for url in urlset.findall("s:url", ns):
            assert url.find("s:lastmod", ns) is not None
            listed.add(url.find("s:loc", ns).text)
    feed = ElementTree.fromstring(fetch(base + "/hq/rss.xml").body)
    items = feed.findall("channel/item")
    assert all(item.find("pubDate") is not None for item in items)
    in_feed = {item.find("link").text for item in items}
    hq_urls = {t["url"] for t in pages_of(truth, "hq")}
    assert listed == hq_urls
    assert in_feed == hq_urls


def test_county_pages_are_gbk_declared_gb2312_with_no_or_wrong_http_charset(
    portal: DemoPortal, truth: list[dict]
) -> None:
    county = pages_of(truth, "county")
    if not county:
        pytest.skip("no county article in the corpus yet")
    http_types = []
    for page in county:
        got = fetch_ok(page["url"])
        assert b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' in got.body
        text = got.body.decode("gb18030")
        assert page["paragraphs"][0] in text
        with pytest.raises(UnicodeDecodeError):
            got.body.decode("utf-8")
        http_types.append(got.headers["Content-Type"])
    assert http_types.count("text/html") > len(http_types) / 2
    assert all(t == "text/html" or t.endswith(("utf-8", "iso-8859-1")) for t in http_types)
    if len(county) >= 10:
        assert any("charset" in t for t in http_types)


def test_portal_pages_are_traditional_with_pinyin_mojibake_and_furniture(portal: DemoPortal, truth: list[dict]) -> None:
    pages = pages_of(truth, "portal")
    if not pages:
        pytest.skip("no portal article in the corpus yet")
    to_simplified = opencc.OpenCC("t2s")
    garbled_total = 0
    for page in pages:
        text = fetch_ok(page["url"]).body.decode("utf-8")
        assert PINYIN.search(text)
        assert to_simplified.convert(text) != text
        for marker in ("責任編輯:admin", "下一篇:", "隨便看看:", "[分析]", "相關推薦:", "網友評論:"):
            assert marker in text
        for run in page["garbled"]:
            assert run["garbled"] in text or run["converted"]
            assert "?" in run["garbled"]
            body_paragraph = page["paragraphs"][run["paragraph"]]
            assert body_paragraph[run["start"] : run["end"]] == run["original"]
            for metric in page["metrics"] or []:
                for m in re.finditer(re.escape(metric["text"]), body_paragraph):
                    assert run["end"] <= m.start() or m.end() <= run["start"] - 1
        garbled_total += len(page["garbled"])
    assert garbled_total >= len(pages)
    if len(pages) >= 5:
        declared = [fetch_ok(p["url"]) for p in pages]
        assert any(b"charset=gb2312" in d.body for d in declared)  # lying <meta>: the bytes are UTF-8
        assert any(p["canonical_of"] for p in pages) or not any(p["syndicated_to"] for p in pages)


def test_syndicated_copies_know_their_original_and_only_some_say_so(portal: DemoPortal, truth: list[dict]) -> None:
    urls = {t["url"] for t in truth}
    pages = {p.path: p for p in render_articles()}
    for page in truth:
        path = page["url"].removeprefix(portal.base_url)
        declared = re.search(rb'<link rel="canonical" href="([^"]+)">', pages[path].body)
        assert bool(declared) == page["canonical_link"]
        if page["canonical_of"]:
            assert page["canonical_of"] in urls
            assert page["site"] in page["syndicated_to"]
        if declared:
            assert portal.base_url + declared.group(1).decode() == page["canonical_of"]
    copies = [t for t in truth if t["canonical_of"] and t["site"] == "portal"]
    if len(copies) >= 2:
        assert 0 < sum(t["canonical_link"] for t in copies) < len(copies)


def test_out_of_step_reading_reproduces_the_documented_runs() -> None:
    assert read_out_of_step("当地民生、", 0) == ("钡孛裆?", 4)
    assert read_out_of_step("当地文化交融", 0) == ("钡匚幕?", 4)


# -- interfaces ------------------------------------------------------------------------------------


def test_render_articles_returns_the_bytes_http_serves(portal: DemoPortal) -> None:
    for page in render_articles():
        got = fetch_ok(portal.base_url + page.path)
        assert got.status == 200
        assert got.body == page.body
        assert got.headers["Content-Type"] == page.content_type


def test_conditional_get_with_the_etag_returns_304(portal: DemoPortal, truth: list[dict]) -> None:
    url = truth[-1]["url"]
    first = fetch_ok(url)
    again = fetch(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status == 304
    assert again.body == b""


def test_demo_sources_are_valid_and_match_every_article_and_list_page(portal: DemoPortal, truth: list[dict]) -> None:
    config = parse_sources({"source": demo_sources(portal.base_url)}, "demo")
    assert [s.name for s in config.sources] == ["demo-hq", "demo-county", "demo-portal"]
    by_site = {s.name.removeprefix("demo-"): s for s in config.sources}
    assert all(s.local and s.max_depth == 5 for s in config.sources)
    for page in truth:
        source = by_site[page["site"]]
        assert source.is_article(page["url"])
        assert not any(other.is_article(page["url"]) for other in config.sources if other is not source)
    for source in config.sources:
        assert all(source.is_list(url) for url in source.start_urls)


def test_ground_truth_covers_at_least_sixty_articles(truth: list[dict]) -> None:
    assert len({t["id"] for t in truth}) >= 60
    assert {"hq", "county", "portal"} == {t["site"] for t in truth}


# -- traps -----------------------------------------------------------------------------------------


def test_every_trap_is_linked_from_a_list_page(portal: DemoPortal) -> None:
    base = portal.base_url
    linked = set()
    for path, encoding in (
        ("/hq/gzdt/list_1.html", "utf-8"),
        ("/county/dwzy/index.html", "gb18030"),
        ("/portal/zixun/list_1.html", "utf-8"),
    ):
        linked |= {
            href if href.startswith("http") else base + href for href in links(fetch(base + path).body, encoding)
        }
    for trap in trap_truth(base):
        assert trap["url"] in linked or trap["kind"] == "flaky_500", trap


def test_redirect_chain_takes_three_hops_to_an_article(portal: DemoPortal, truth: list[dict]) -> None:
    url, hops = trap_of(portal, "redirect_chain")[0], 0
    got = fetch(url)
    while got.status in (301, 302):
        hops += 1
        url = urljoin(url, got.headers["Location"])
        got = fetch(url)
    assert hops == 3
    assert got.status == 200
    assert url in {t["url"] for t in truth}


def test_redirect_loop_comes_back_to_its_start(portal: DemoPortal) -> None:
    start = trap_of(portal, "redirect_loop")[0]
    url, visited = start, []
    for _ in range(5):
        got = fetch(url)
        assert got.status == 302
        url = urljoin(url, got.headers["Location"])
        visited.append(url)
    assert start in visited


def test_offsite_redirect_and_links_leave_the_portal(portal: DemoPortal) -> None:
    got = fetch(trap_of(portal, "redirect_offsite")[0])
    assert got.status == 302 and got.headers["Location"].startswith("http://www.example.com/")
    assert trap_of(portal, "offsite_link")[0].startswith("http://www.example.com/")
    assert trap_of(portal, "offsite_loopback")[0].startswith("http://127.0.0.2:")


def test_missing_pages_answer_404(portal: DemoPortal) -> None:
    urls = trap_of(portal, "not_found")
    assert len(urls) == 2
    assert all(fetch(url).status == 404 for url in urls)


def test_flaky_page_fails_once_with_500_then_serves_the_article() -> None:
    with DemoPortal(slow_seconds=SLOW) as fresh:
        flaky = trap_of(fresh, "flaky_500")
        if not flaky:
            pytest.skip("no hq article in the corpus yet")
        assert fetch(flaky[0]).status == 500
        assert fetch(flaky[0]).status == 200
        assert fetch(flaky[0]).status == 200


def test_slow_page_answers_only_after_slow_seconds(portal: DemoPortal) -> None:
    url = trap_of(portal, "slow")[0]
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        fetch(url, timeout=SLOW / 3)
    started = time.monotonic()
    assert fetch(url).status == 200
    assert time.monotonic() - started >= SLOW * 0.9


def test_huge_page_streams_ten_megabytes_with_content_length(portal: DemoPortal) -> None:
    got = fetch(trap_of(portal, "too_large")[0])
    assert int(got.headers["Content-Length"]) == HUGE_SIZE == 10 * 1024 * 1024
    assert len(got.body) == HUGE_SIZE


def test_binary_page_is_served_as_html(portal: DemoPortal) -> None:
    got = fetch(trap_of(portal, "binary")[0])
    assert got.headers["Content-Type"] == "text/html"
    assert got.body.startswith(b"\x89PNG")


def test_not_aid_pages_hold_no_aid_keyword(portal: DemoPortal) -> None:
    from etl.sources import DEFAULT_KEYWORDS

    for url in trap_of(portal, "not_aid"):
        got = fetch(url)
        text = got.body.decode("gb18030" if b"gb2312" in got.body else "utf-8")
        assert got.status == 200
        assert not any(k in text for k in DEFAULT_KEYWORDS)


def test_robots_txt_forbids_the_linked_admin_page(portal: DemoPortal) -> None:
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(fetch(portal.base_url + "/robots.txt").body.decode().splitlines())
    (admin,) = trap_of(portal, "robots")
    assert not robots.can_fetch("aidnews", admin)
    assert robots.can_fetch("aidnews", portal.base_url + "/hq/gzdt/list_1.html")


def test_calendar_links_to_the_next_month_forever(portal: DemoPortal) -> None:
    url = trap_of(portal, "calendar")[0]
    months = []
    for _ in range(30):
        got = fetch(url)
        assert got.status == 200
        following = re.search(r'href="(/hq/calendar\?month=(\d{4}-\d{2}))">下个月', got.body.decode())
        assert following
        months.append(following.group(2))
        url = portal.base_url + following.group(1)
    assert months == sorted(set(months))


def test_tracking_and_session_links_serve_the_same_article(portal: DemoPortal, truth: list[dict]) -> None:
    noisy = trap_of(portal, "tracking_params") + trap_of(portal, "session_id")
    assert len(noisy) == 3
    pages = {t["url"]: t for t in truth}
    for url in noisy:
        clean = re.sub(r"[;?].*$", "", url)
        assert clean in pages
        assert fetch_ok(url).body == fetch_ok(clean).body


def test_hits_count_every_request(portal: DemoPortal) -> None:
    before = portal.hits["/hq/rss.xml"]
    fetch(portal.base_url + "/hq/rss.xml")
    fetch(portal.base_url + "/hq/rss.xml")
    assert portal.hits["/hq/rss.xml"] == before + 2


# -- page weight and furniture ---------------------------------------------------------------------

# Real Chinese government and news portal pages weigh ~108 KB (131 pages measured); older table sites less.
PAGE_WEIGHT_KB = {"hq": (60, 150), "county": (40, 90), "portal": (60, 150)}


def test_article_pages_weigh_what_real_portal_pages_weigh() -> None:
    sizes: dict[str, list[int]] = {}
    for page in render_articles():
        sizes.setdefault(page.truth["site"], []).append(len(page.body))
    for site, (low, high) in PAGE_WEIGHT_KB.items():
        assert sizes.get(site), site
        assert all(low * 1024 <= size <= high * 1024 for size in sizes[site]), (site, min(sizes[site]))


@pytest.mark.parametrize("path", ["/hq/gzdt/list_1.html", "/county/dwzy/index.html", "/portal/zixun/list_1.html"])
def test_list_pages_weigh_what_real_portal_pages_weigh(portal: DemoPortal, path: str) -> None:
    low, high = PAGE_WEIGHT_KB[path.split("/")[1]]
    assert low * 1024 <= len(fetch(portal.base_url + path).body) <= high * 1024


def test_furniture_adds_no_crawlable_url_beyond_articles_lists_and_traps(portal: DemoPortal, truth: list[dict]) -> None:
    base = portal.base_url
    config = parse_sources({"source": demo_sources(base)}, "demo")
    known = {t["url"] for t in truth} | {t["url"] for t in trap_truth(base)}
    for page in render_articles():
        encoding = "gb18030" if page.truth["site"] == "county" else "utf-8"
        for href in links(page.body, encoding):
            url = urljoin(base + page.path, href)
            if any(s.is_article(url) for s in config.sources):
                assert url in known, (page.path, href)
            elif any(s.is_list(url) for s in config.sources):
                assert fetch(url).status == 200, (page.path, href)


def test_article_pages_carry_the_furniture_of_real_portals() -> None:
    markers = (
        "<style",
        "_hmt",
        "SITE_CONFIG",
        "doZoom",
        "_bd_share_config",
        "zhS",
        "allnav",
        "扫一扫",
        "图片新闻",
        "友情链接",
        "网站地图",
    )
    to_simplified = opencc.OpenCC("t2s")
    for page in render_articles():
        text = page.body.decode("gb18030" if page.truth["site"] == "county" else "utf-8")
        simplified = to_simplified.convert(text)
        assert all(m in simplified for m in markers), page.path
        assert len(re.findall(r'<div class="subnav">', text)) >= 6
        assert 60 <= len(re.findall(r'href="http://www\.example\.com/[^"]+/col/', text)) <= 150
        if page.truth["site"] == "portal":
            assert "comment-box" in text and "slotbydup" in text and text.count('class="ad ') >= 5


def test_sidebars_vary_by_article_but_not_between_renders() -> None:
    from crawler.demo.pages import current_content, render_entry

    entries = current_content().entries["hq"]
    if len(entries) < 2:
        pytest.skip("fewer than two hq articles in the corpus")
    first, second = (render_entry(entries, i).body for i in (0, 1))
    sidebar = re.compile(rb'<div class="box"><div class="hd"><h3>\xe8\xa6\x81\xe9\x97\xbb.*?</ul>', re.S)
    assert sidebar.search(first).group() != sidebar.search(second).group()
    assert render_entry(entries, 0).body == first
