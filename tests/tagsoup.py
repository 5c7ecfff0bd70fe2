"""The cleaner never crashes: any text ends as a Cleaned or a CleanError, in time proportional to its length.

The properties live here once and run twice: a few examples each in the unit layer
(tests/unit/test_clean_robust.py) and the full count, with every tag and attribute of the deep and huge pages, in
the reliability layer (tests/reliability/test_clean_robust_full.py).

Time is CPU time of this process, against a baseline measured in the same test run: the cost per character of
cleaning an ordinary page. Measured on the shared 2-core machine, no hostile page here costs more per character
than 1.4 times that (10,000 unclosed <a>; 2 MB attribute values cost 0.03-0.26 times), so the bound allows 15
times the ordinary cost per character, and a small page the cost of the whole ordinary page times 15.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.html import Cleaned, CleanError, clean

COST_RATIO = 1.5  # the dearest hostile page per character against an ordinary one, measured 1.39
SLACK = 10.0
# the ordinary page: article paragraphs and links, 32 KB
REFERENCE = "<html><body>" + "<p>援疆，项目。</p><a href='/x'>链接</a>" * 1000 + "</body></html>"

TAGS = [
    "div",
    "p",
    "span",
    "a",
    "td",
    "tr",
    "table",
    "li",
    "ul",
    "h1",
    "h2",
    "br",
    "img",
    "script",
    "style",
    "title",
    "meta",
    "head",
    "body",
    "html",
    "font",
    "b",
    "figure",
    "figcaption",
    "noscript",
    "iframe",
    "svg",
]
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
            attrs = "".join(f' {draw(st.sampled_from(ATTRS))}="{draw(TEXT)}"' for _ in range(draw(st.integers(0, 3))))
            pieces.append(f"<{tag}{attrs}>")
        elif kind == 1:
            pieces.append(f"</{tag}>")
        else:
            pieces.append(draw(TEXT))
    return "".join(pieces)


def reference_cost() -> float:
    """CPU seconds per character of cleaning the ordinary page (best of three)."""
    clean(REFERENCE)
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        clean(REFERENCE)
        best = min(best, time.process_time() - started)
    return best / len(REFERENCE)


def check(html: str, per_character: float, **kwargs: Any) -> None:
    """`clean` ends with a well-formed Cleaned or a CleanError with a message, within the time bound."""
    started = time.process_time()
    try:
        result = clean(html, **kwargs)
    except CleanError as exc:
        assert str(exc)
    else:
        assert isinstance(result, Cleaned)
        assert all(isinstance(p, str) and p for p in result.paragraphs)
        assert result.published_at is None or result.published_at.utcoffset() is not None
    spent = time.process_time() - started
    allowed = SLACK * COST_RATIO * per_character * max(len(html), len(REFERENCE))
    assert spent < allowed, f"{spent:.2f} s of CPU for {len(html):,} characters, allowed {allowed:.2f} s"


URLS = [None, "http://example.cn/a/2023-06/12/1.html", "not a url", ""]
SELECTORS = ["div", "p > span", "#x", "a[href", "::", "", "body *:nth-child(2n)"]


def property_tests(examples: int) -> dict[str, Callable[..., None]]:
    """The generated-input tests with `examples` examples each, by test name; each takes the fixture
    `per_character` (reference_cost(), measured once per module)."""
    run = settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

    @run
    @given(html=html_fragments(), url=st.sampled_from(URLS))
    def test_random_tag_soup(per_character: float, html: str, url: str | None) -> None:
        check(html, per_character, url=url)

    @run
    @given(html=html_fragments(), cut=st.floats(0, 1))
    def test_truncated_pages(per_character: float, html: str, cut: float) -> None:
        page = f"<html><head><title>标题_网站</title></head><body><div class='content'>{html}</div></body></html>"
        check(page[: int(len(page) * cut)], per_character)

    @run
    @given(data=st.binary(max_size=2000), codec=st.sampled_from(["utf-8", "gb18030", "big5", "latin-1", "utf-16"]))
    def test_random_bytes_decoded_any_way(per_character: float, data: bytes, codec: str) -> None:
        check(data.decode(codec, errors="replace"), per_character)

    @run
    @given(charset=st.sampled_from(CHARSETS), html=html_fragments())
    def test_every_encoding_declaration(per_character: float, charset: str, html: str) -> None:
        check(
            f'<html><head><meta charset="{charset}"><meta http-equiv="Content-Type" '
            f'content="text/html; charset={charset}"></head><body>{html}</body></html>',
            per_character,
        )

    @run
    @given(text=st.text(max_size=200), selector=st.sampled_from(SELECTORS))
    def test_any_body_selector(per_character: float, text: str, selector: str) -> None:
        check(f"<html><body><div id='x'><p>{text}</p></div></body></html>", per_character, body_selector=selector)

    tests = [
        test_random_tag_soup,
        test_truncated_pages,
        test_random_bytes_decoded_any_way,
        test_every_encoding_declaration,
        test_any_body_selector,
    ]
    return {test.__name__: test for test in tests}


def nested_page(tag: str, depth: int = 10_000) -> str:
    return f"<{tag} class='content'>" * depth + "援疆项目建设顺利推进，群众得到实惠。" + f"</{tag}>" * depth


def huge_attribute_page(attribute: str, size: int = 2_000_000) -> str:
    huge = "x" * size
    return (
        f'<html><head><meta name="PubDate" {attribute}="{huge}"></head><body>'
        f'<div {attribute}="{huge}"><p>援疆项目，顺利推进。</p><img {attribute}="{huge}"></div></body></html>'
    )


NESTING_TAGS = ["div", "span", "p", "td", "li", "a", "table"]
HUGE_ATTRIBUTES = ["class", "style", "href", "src", "content", "id"]
