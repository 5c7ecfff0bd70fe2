"""Metadata as scored candidates: the date forms of Chinese portals, bylines, where each field came from,
the densest-run fallback and the refusal reasons. Pages here are written for the tests (no portal text)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from etl.html import SHANGHAI, clean

TITLE = "援疆医疗队走进牧区开展义诊活动"
SENTENCES = [
    "医疗队一行十二人携带药品和设备来到牧区，为当地群众免费检查身体，发放常用药品。",
    "队员们还为乡村医生讲授了常见病的诊治方法，并留下联系方式，方便今后远程会诊。",
    "当地群众表示，专家上门服务解决了看病远、看病难的问题，希望这样的活动多多开展。",
]


def page(header: str = "", *, head: str = "", paragraphs: list[str] | None = None, after: str = "") -> str:
    """A portal page: navigation, the headline, ``header`` under it, the text, ``after`` it, a related list."""
    body = "".join(f"<p>{text}</p>" for text in (SENTENCES if paragraphs is None else paragraphs))
    return f"""<html><head><title>{TITLE}_某某县融媒体中心</title>{head}</head><body>
    <div class="nav"><a href="/">首页</a> <a href="/news">新闻</a> <a href="/zt">专题</a></div>
    <div class="article"><h1>{TITLE}</h1>{header}<div class="content">{body}</div>{after}</div>
    <div class="related"><h3>相关新闻</h3><ul><li><a href="/1">往期新闻标题一二三</a> 2011-01-05</li>
    <li><a href="/2">往期新闻标题四五六</a> 2012-02-06</li></ul></div></body></html>"""


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("<div class='info'>2005-5-7 21:23:57</div>", at(2005, 5, 7, 21, 23, 57)),
        ("<p>2004年7月16日08:19</p>", at(2004, 7, 16, 8, 19)),
        ("<p>2022年02月13日 星期日</p>", at(2022, 2, 13)),
        ("<p>发布时间：２０２３年０６月１２日 10:30</p>", at(2023, 6, 12, 10, 30)),
        ("<div class='l'>发布时间：</div><div class='v'>2023-06-12 10:30</div>", at(2023, 6, 12, 10, 30)),
        ("<div>2019</div><div>09/07</div><div>19:02</div>", at(2019, 9, 7, 19, 2)),
        ("<p>时间：2023-06-12 10:30 来源：新疆日报 作者：张三</p>", at(2023, 6, 12, 10, 30)),
        ("<p>二〇二三年六月十二日</p>", at(2023, 6, 12)),
    ],
)
def test_date_lines_under_the_headline_in_every_common_form(header, expected):
    cleaned = clean(page(header))
    assert cleaned.published_at == expected
    assert cleaned.date_source.startswith("header")
    assert cleaned.paragraphs == SENTENCES  # the date line and its pieces are not text


def test_a_date_line_that_names_the_outlet_gives_the_source():
    cleaned = clean(page("<p>2023-06-12 10:30 新疆日报</p>"))
    assert (cleaned.source, cleaned.source_source) == ("新疆日报", "date-line")


def test_a_date_line_that_names_people_gives_the_authors():
    cleaned = clean(page("<p>2023-06-12 10:30 张三 李四</p>"))
    assert cleaned.author == "张三 李四"
    assert cleaned.source is None


def test_labelled_date_source_and_author_in_one_line():
    cleaned = clean(page("<p>时间：2023-06-12 10:30 来源：新疆日报 作者：张三</p>"))
    assert (cleaned.source, cleaned.author) == ("新疆日报", "张三")
    assert (cleaned.date_source, cleaned.source_source, cleaned.author_source) == (
        "header:时间", "header:来源", "header:作者")


def test_a_day_without_its_year_takes_the_year_only_from_a_date_that_agrees():
    dated = '<meta name="dateupdate" content="2023-06-12 10:30:41">'
    cleaned = clean(page("<p>发布时间：06-12 10:30</p>", head=dated))
    assert cleaned.published_at == at(2023, 6, 12, 10, 30)
    assert cleaned.date_source == "header:发布时间 (year from meta:dateupdate)"
    other_day = '<meta name="dateupdate" content="2023-06-13 09:00:00">'
    assert clean(page("<p>发布时间：06-12 10:30</p>", head=other_day)).published_at == at(2023, 6, 13, 9)
    assert clean(page("<p>发布时间：06-12 10:30</p>")).published_at is None  # no year on the page: not guessed


def test_two_digit_years_and_days_glued_to_their_time():
    dated = '<meta name="dateupdate" content="2018-03-08 23:16:24">'
    assert clean(page("<div>发布时间：<span>18-03-08</span><span>23:16</span></div>", head=dated)).published_at == at(
        2018, 3, 8, 23, 16)


def test_relative_times_ancient_and_future_dates_are_not_publication_dates():
    assert clean(page("<p>昨天 10:30</p>")).published_at is None
    assert clean(page("<p>发布时间：1992-03-01</p>")).published_at is None
    next_year = datetime.now(SHANGHAI).year + 1
    assert clean(page(f"<p>发布时间：{next_year}-01-01</p>")).published_at is None


def test_the_line_under_the_headline_outweighs_a_meta_tag_of_another_day():
    meta = '<meta property="article:published_time" content="2023-06-01T08:00:00+08:00">'
    cleaned = clean(page("<p>发布时间：2023-06-12 10:30</p>", head=meta))
    assert cleaned.published_at == at(2023, 6, 12, 10, 30)
    assert clean(page(head=meta)).date_source == "meta:article:published_time"


def test_a_publication_time_in_a_script_variable():
    script = "<script>var __$pubtime='2020-10-04 20:30:00';var __$source='';</script>"
    cleaned = clean(page(head=script))
    assert cleaned.published_at == at(2020, 10, 4, 20, 30)
    assert cleaned.date_source == "script:pubtime"


def test_related_list_and_body_dates_never_win():
    dated = "2020年3月，医疗队进驻牧区，此后每月开展义诊活动，累计服务群众上万人次。"
    cleaned = clean(page(paragraphs=[dated, *SENTENCES]))
    assert cleaned.published_at is None


def test_the_portal_editor_outranks_the_outlet_editor_and_staff_codes_are_dropped():
    after = "<p>编辑：李四</p><div class='editor'>责任编辑：王五_NB1234</div>"
    cleaned = clean(page("<p>2023-06-12</p>", after=after))
    assert cleaned.editor == "王五"
    assert cleaned.editor_source.endswith(":责任编辑")


def test_an_unlabelled_byline_names_the_authors_and_leaves_the_text():
    cleaned = clean(page("<p>新疆日报记者 张三 李四</p><p>2023-06-12 10:30</p>"))
    assert cleaned.author == "张三 李四"
    assert cleaned.paragraphs == SENTENCES


def test_a_closing_bracketed_byline_leaves_the_last_paragraph():
    last = "活动结束后，医疗队还将前往下一个乡镇继续开展义诊。"
    cleaned = clean(page("<p>2023-06-12</p>", paragraphs=[*SENTENCES, f"{last}（文/图 张三 李四）"]))
    assert cleaned.paragraphs[-1] == last
    assert cleaned.author == "张三 李四"


def test_repost_notes_summaries_and_disclaimers_are_not_text():
    paragraphs = ["（原标题：医疗队进牧区）", "摘要：医疗队一行十二人来到牧区。", *SENTENCES,
                  "免责声明：本文来自网络，不代表本站观点。"]
    assert clean(page("<p>2023-06-12</p>", paragraphs=paragraphs)).paragraphs == SENTENCES


def test_a_headline_kept_in_a_header_element_is_found_with_its_date_line():
    html = f"""<html><head><title>某某网</title></head><body>
    <header class="top"><h1>{TITLE}</h1><span>2019-09-05 11:10 某某日报</span></header>
    <div class="text">{"".join(f"<p>{s}</p>" for s in SENTENCES)}</div></body></html>"""
    cleaned = clean(html)
    assert (cleaned.title, cleaned.published_at, cleaned.source) == (TITLE, at(2019, 9, 5, 11, 10), "某某日报")


def test_an_article_in_wrappers_named_like_furniture_is_read_rather_than_refused():
    html = f"""<html><body><div class="nav"><a href="/">首页</a></div><h1>{TITLE}</h1>
    <div class="footer-box"><div class="share-wrap">{"".join(f"<p>{s}</p>" for s in SENTENCES)}</div></div>
    </body></html>"""
    cleaned = clean(html)
    assert cleaned.paragraphs == SENTENCES
    assert cleaned.no_text is None


def test_pages_without_prose_say_what_they_are():
    links = "".join(f'<li><a href="/{n}">援疆新闻标题第{n}条</a></li>' for n in range(30))
    listing = clean(f"<html><body><h1>新闻列表</h1><ul>{links}</ul></body></html>")
    assert listing.paragraphs == []
    assert listing.no_text.startswith("a list page")
    empty = clean("<html><body><div class='main'></div><p>首页</p></body></html>")
    assert empty.paragraphs == []
    assert empty.no_text.startswith("an empty template")


def test_extract_refuses_with_the_kind_of_page_and_records_where_fields_came_from():
    from etl.extract import ExtractError, as_record, extract

    links = "".join(f'<li><a href="/{n}">援疆新闻标题第{n}条</a></li>' for n in range(30))
    with pytest.raises(ExtractError, match="no article body found: the page is a list page"):
        extract(f"<html><body><ul>{links}</ul></body></html>".encode())
    record = as_record(extract(page("<p>时间：2023-06-12 10:30 来源：新疆日报</p>").encode()))
    assert (record["date_source"], record["source_source"], record["title_source"]) == (
        "header:时间", "header:来源", "h1")


def test_the_light_tree_is_the_tree_beautifulsoup_builds_from_the_same_parser():
    from pathlib import Path

    from bs4 import BeautifulSoup, NavigableString, Tag

    from etl.html.parse import Element, drop_inert, parse, sanitise

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
    pages = [p.read_text(encoding="utf-8") for p in sorted(fixtures.glob("*.html"))]
    pages += [page("<p>发布时间：2023-06-12</p>"),
              '<html xmlns:o="urn:x"><body><p lang="zh">正文<o:p></o:p></p><table><tr><td>单元<p>段落</td></tr>'
              "</table><p>未闭合<b>粗体<i>斜体</p>尾部</body></html>"]
    for html in pages:
        soup = BeautifulSoup(drop_inert(sanitise(html)), "lxml", multi_valued_attributes=None)
        # (BeautifulSoup keeps the doctype and script code as strings of their own types; the light tree drops the
        # doctype, and its text() skips code as get_text does)
        stock = [(node.name, dict(node.attrs)) if isinstance(node, Tag) else node.strip() for node in soup.descendants
                 if isinstance(node, Tag) or (type(node) is NavigableString and node.strip())]
        light = [(node.name, node.attrs) if isinstance(node, Element) else node.strip()
                 for node in parse(html).iter(text_only=True) if isinstance(node, Element) or node.strip()]
        assert light == stock
        assert parse(html).text(" ").split() == soup.get_text(" ").split()


def test_publication_dates_one_day_ahead_are_kept_for_clock_skew():
    tomorrow = datetime.now(SHANGHAI) + timedelta(days=1)
    assert clean(page(f"<p>发布时间：{tomorrow:%Y-%m-%d}</p>")).published_at == at(
        tomorrow.year, tomorrow.month, tomorrow.day)
