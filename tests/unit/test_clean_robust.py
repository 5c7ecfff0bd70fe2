"""The cleaner never crashes: any text ends as a Cleaned or a CleanError, within a time limit."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.html import Cleaned, CleanError, clean

LIMIT_SECONDS = 5.0

TAGS = ["div", "p", "span", "a", "td", "tr", "table", "li", "ul", "h1", "h2", "br", "img", "script", "style",
        "title", "meta", "head", "body", "html", "font", "b", "figure", "figcaption", "noscript", "iframe", "svg"]
ATTRS = ["class", "id", "style", "href", "src", "name", "content", "property", "rel", "data-src", "align", "hidden"]
PAGE_CHARACTERS = list("援疆项目，。、；：“”（）()<>&/\\'\"=!- \n\t\u3000責任編輯來源作者時間2023年6月12日:0aé")
TEXT = st.text(alphabet=st.sampled_from(PAGE_CHARACTERS) | st.characters(), max_size=40)
CHARSETS = ["utf-8", "gb2312", "gbk", "gb18030", "big5", "iso-8859-1", "utf-16", "x-unknown", "", "utf-8\x00"]


@st.composite
def html_fragments(draw) -> str:
    """Tag soup: random tags, attributes and text, opened and closed in any order."""
    pieces: list[str] = []
    for _ in range(draw(st.integers(0, 60))):
        kind = draw(st.integers(0, 3))
        tag = draw(st.sampled_from(TAGS))
        if kind == 0:
            attrs = "".join(
                f' {draw(st.sampled_from(ATTRS))}="{draw(TEXT)}"' for _ in range(draw(st.integers(0, 3)))
            )
            pieces.append(f"<{tag}{attrs}>")
        elif kind == 1:
            pieces.append(f"</{tag}>")
        else:
            pieces.append(draw(TEXT))
    return "".join(pieces)


def _check(html: str, **kwargs) -> None:
    started = time.perf_counter()
    try:
        result = clean(html, **kwargs)
    except CleanError as exc:
        assert str(exc)
    else:
        assert isinstance(result, Cleaned)
        assert all(isinstance(p, str) and p for p in result.paragraphs)
        assert result.published_at is None or result.published_at.utcoffset() is not None
    assert time.perf_counter() - started < LIMIT_SECONDS


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(html_fragments(), st.sampled_from([None, "http://example.cn/a/2023-06/12/1.html", "not a url", ""]))
def test_random_tag_soup(html, url):
    _check(html, url=url)


@FAST
@given(html_fragments(), st.floats(0, 1))
def test_truncated_pages(html, cut):
    page = f"<html><head><title>标题_网站</title></head><body><div class='content'>{html}</div></body></html>"
    _check(page[: int(len(page) * cut)])


@FAST
@given(st.binary(max_size=2000), st.sampled_from(["utf-8", "gb18030", "big5", "latin-1", "utf-16"]))
def test_random_bytes_decoded_any_way(data, codec):
    _check(data.decode(codec, errors="replace"))


@FAST
@given(st.sampled_from(CHARSETS), html_fragments())
def test_every_encoding_declaration(charset, html):
    _check(f'<html><head><meta charset="{charset}"><meta http-equiv="Content-Type" '
           f'content="text/html; charset={charset}"></head><body>{html}</body></html>')


@FAST
@given(st.text(max_size=200), st.sampled_from(["div", "p > span", "#x", "a[href", "::", "", "body *:nth-child(2n)"]))
def test_any_body_selector(text, selector):
    _check(f"<html><body><div id='x'><p>{text}</p></div></body></html>", body_selector=selector)


@pytest.mark.parametrize("tag", ["div", "span", "p", "td", "li", "a", "table"])
def test_ten_thousand_levels_of_nesting(tag):
    depth = 10_000
    page = f"<{tag} class='content'>" * depth + "援疆项目建设顺利推进，群众得到实惠。" + f"</{tag}>" * depth
    _check(page)
    _check(page[: len(page) // 2])  # never closed


def test_deep_nesting_keeps_the_text():
    page = "<div>" * 10_000 + "<p>援疆项目建设顺利推进，群众得到实惠，就业岗位不断增加。</p>" + "</div>" * 10_000
    assert clean(page).paragraphs == ["援疆项目建设顺利推进，群众得到实惠，就业岗位不断增加。"]


@pytest.mark.parametrize("attribute", ["class", "style", "href", "src", "content", "id"])
def test_huge_attribute_values(attribute):
    huge = "x" * 2_000_000
    page = (f'<html><head><meta name="PubDate" {attribute}="{huge}"></head><body>'
            f'<div {attribute}="{huge}"><p>援疆项目，顺利推进。</p><img {attribute}="{huge}"></div></body></html>')
    _check(page, url="http://example.cn/")


def test_huge_flat_page():
    page = "<html><body>" + "<p>援疆，项目。</p><a href='/x'>链接</a>" * 20_000 + "</body></html>"
    _check(page)


@pytest.mark.parametrize("text", ["", " ", "\x00", "\ud800", "<", "<!--", "<![CDATA[", "&#0;&#xd800;", "<?xml?>"])
def test_degenerate_inputs(text):
    _check(text)
