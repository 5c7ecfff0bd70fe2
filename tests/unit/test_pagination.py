"""Which links of a list page are its pager, and which page a crawl reads next (crawler.links)."""

from __future__ import annotations

import pytest

from crawler.links import Link, PagerLink, PageRole, next_page, page_role, scan_links, trs_next_page

pytestmark = pytest.mark.unit

BASE = "http://aid.example.cn/news/index.html"


@pytest.mark.parametrize(
    ("text", "rel", "role", "number"),
    [
        ("下一页", "", PageRole.NEXT, None),
        ("下一頁", "", PageRole.NEXT, None),
        ("下页>>", "", PageRole.NEXT, None),
        ("Next »", "", PageRole.NEXT, None),
        ("»", "", PageRole.NEXT, None),
        ("", "next", PageRole.NEXT, None),
        ("3", "", PageRole.NUMBER, 3),
        ("[12]", "", PageRole.NUMBER, 12),
        ("第4页", "", PageRole.NUMBER, 4),
        ("上一页", "", PageRole.OTHER, None),
        ("尾页", "", PageRole.OTHER, None),
        ("首页", "", PageRole.OTHER, None),
        ("« prev", "", PageRole.OTHER, None),
    ],
)
def test_pager_links_are_told_by_their_text_or_rel(text: str, rel: str, role: PageRole, number: int | None) -> None:
    assert page_role(Link("http://a.cn/list_2.html", text, rel)) == PagerLink("http://a.cn/list_2.html", role, number)


@pytest.mark.parametrize("text", ["下个月", "援疆动态", "2023年工作总结", "更多>>", ""])
def test_other_links_are_not_pager_links(text: str) -> None:
    assert page_role(Link("http://a.cn/list_2.html", text)) is None


def test_anchor_texts_are_read_in_the_pages_encoding() -> None:
    for encoding in ("utf-8", "gbk"):
        body = (
            '<div class="page"><a href="index_1.html">上一页</a> <a href="index_3.html" class="x">'
            "<span>下一页</span></a><a href='index_9.html'>尾页</a></div>"
        ).encode(encoding)
        links = list(scan_links(BASE, body))
        assert [(link.url.rsplit("/", 1)[1], link.text) for link in links] == [
            ("index_1.html", "上一页"),
            ("index_3.html", "下一页"),
            ("index_9.html", "尾页"),
        ], encoding


def test_the_explicit_next_link_wins_and_a_seen_one_ends_the_list() -> None:
    pager = [
        PagerLink("http://a.cn/l_2.html", PageRole.NUMBER, 2),
        PagerLink("http://a.cn/l_3.html", PageRole.NUMBER, 3),
        PagerLink("http://a.cn/l_2.html", PageRole.NEXT),
        PagerLink("http://a.cn/l_9.html", PageRole.OTHER),
    ]
    assert next_page(BASE, b"", pager, set()) == "http://a.cn/l_2.html"
    assert next_page(BASE, b"", pager, {"http://a.cn/l_2.html"}) is None


def test_without_a_next_link_the_lowest_page_number_not_yet_requested_is_next() -> None:
    pager = [PagerLink(f"http://a.cn/l_{n}.html", PageRole.NUMBER, n) for n in (1, 2, 3, 4, 5)]
    assert next_page(BASE, b"", pager, {"http://a.cn/l_1.html"}) == "http://a.cn/l_2.html"
    requested = {f"http://a.cn/l_{n}.html" for n in (1, 2, 3)}
    assert next_page(BASE, b"", pager, requested) == "http://a.cn/l_4.html"


def test_a_trs_page_script_gives_the_next_page_when_there_are_no_links() -> None:
    script = b'<script>createPageHTML(12, 0, "index", "shtml");</script>'
    assert trs_next_page(BASE, script) == "http://aid.example.cn/news/index_1.shtml"
    assert trs_next_page(BASE, b'createPageHTML(12, 10, "index", "html")') == "http://aid.example.cn/news/index_11.html"
    assert trs_next_page(BASE, b'createPageHTML(12, 11, "index", "html")') is None  # the last page
    assert next_page(BASE, script, [], set()) == "http://aid.example.cn/news/index_1.shtml"
