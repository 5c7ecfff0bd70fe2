"""The generic spider's decisions, without a network: what to fetch, what to skip, how feeds are read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from crawler.listing import follow_links
from crawler.responses import XmlEntry, looks_binary, xml_entries
from crawler.spiders.aid import AidSpider, KnownPage
from etl.sources import parse_sources

SOURCE = {
    "name": "hq",
    "start_urls": ["http://aid.example.cn/list_1.html"],
    "max_depth": 2,
    "article_patterns": [r"/c_\d+\.html$"],
    "list_patterns": [r"/list_\d+\.html$"],
}
STORED = datetime(2024, 5, 1, tzinfo=UTC)


def spider(**known: KnownPage) -> AidSpider:
    source = parse_sources({"source": [SOURCE]}).sources[0]
    return AidSpider(sources=[source], known={f"http://aid.example.cn/{k}.html": v for k, v in known.items()})


def test_a_stored_article_is_skipped_unless_its_sitemap_lastmod_is_newer() -> None:
    s = spider(c_1=KnownPage('"e1"', None, STORED), c_2=KnownPage(None, "Wed, 01 May 2024 00:00:00 GMT", STORED))
    source = s.sources["hq"]
    assert s.request_for(source, "http://aid.example.cn/c_1.html", "article", 1) is None
    assert s.counts["articles_known_skipped"] == 1
    stale = s.request_for(source, "http://aid.example.cn/c_2.html", "article", 1, lastmod=STORED + timedelta(days=3))
    assert stale is not None and stale.headers[b"If-Modified-Since"] == b"Wed, 01 May 2024 00:00:00 GMT"
    assert 304 in stale.meta["handle_httpstatus_list"]


def test_offsite_too_deep_and_repeated_links_are_not_requested() -> None:
    s = spider()
    source = s.sources["hq"]
    assert s.request_for(source, "http://other.example.com/c_1.html", "article", 1) is None
    assert s.request_for(source, "http://aid.example.cn/c_9.html", "article", 3) is None
    first = s.request_for(source, "http://aid.example.cn/c_5.html?utm_source=wx", "article", 1)
    assert first is not None and first.url == "http://aid.example.cn/c_5.html"
    assert s.request_for(source, "http://aid.example.cn/c_5.html#comments", "article", 1) is None
    assert s.counts["links_offsite"] == 1 and s.counts["links_too_deep"] == 1


def test_links_on_a_page_are_followed_only_when_they_match_a_pattern() -> None:
    s = spider()
    body = (
        b"<a href=\"/c_1.html\">a</a><a href='list_2.html'>next</a><a href=/about.html>x</a>"
        b'<a href="javascript:void(0)">js</a><a href="mailto:a@b.cn">m</a><a href="/c_1.html#top">again</a>'
    )
    requests = list(follow_links(s, s.sources["hq"], "http://aid.example.cn/list_1.html", body, 0))
    assert [(r.url, r.meta["kind"]) for r in requests] == [
        ("http://aid.example.cn/c_1.html", "article"),
        ("http://aid.example.cn/list_2.html", "list"),
    ]


def test_sitemaps_indexes_rss_and_atom_are_read() -> None:
    urlset = etree.fromstring(
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
        b"<loc>http://a.cn/c_1.html</loc><lastmod>2024-05-03</lastmod></url></urlset>"
    )
    assert list(xml_entries(urlset)) == [XmlEntry("http://a.cn/c_1.html", datetime(2024, 5, 3, tzinfo=UTC), False)]
    index = etree.fromstring(
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        b"<loc>http://a.cn/s.xml.gz</loc></sitemap></sitemapindex>"
    )
    assert list(xml_entries(index)) == [XmlEntry("http://a.cn/s.xml.gz", None, True)]
    rss = etree.fromstring(b"<rss><channel><item><link>http://a.cn/c_2.html</link></item></channel></rss>")
    assert [e.url for e in xml_entries(rss)] == ["http://a.cn/c_2.html"]
    atom = etree.fromstring(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="http://a.cn/c_3.html"/>'
        b'<link rel="enclosure" href="http://a.cn/x.jpg"/></entry></feed>'
    )
    assert [e.url for e in xml_entries(atom)] == ["http://a.cn/c_3.html"]


def test_binary_bodies_are_recognised() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n" + b"\x00" * 10)
    assert looks_binary(b"GIF89a....")
    assert not looks_binary("<html>援疆</html>".encode("gb18030"))
