"""Behaviour of etl.html: body boundaries, furniture removal and metadata on Chinese portal layouts."""

from __future__ import annotations

import html
import json
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from shared import SEED

from etl.html import SHANGHAI, Cleaned, CleanError, clean, find_date, make_key, read_meta_line

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"


def _seed_lines() -> list[str]:
    path = SEED / "aid-article.txt"
    if not path.exists():
        pytest.skip("the shared seed page is not beside the repository")
    return path.read_text(encoding="utf-8").splitlines()


def _portal_page(lines: list[str]) -> str:
    """The seed's lines in a typical portal template: the furniture partly in <p>s, partly in <div>/<ul>."""
    end = next(i for i, line in enumerate(lines) if line.rstrip().endswith("寶貴的記憶。"))
    title, body, furniture = lines[0], lines[1 : end + 1], [f for f in lines[end + 1 :] if f.strip()]
    esc = html.escape
    nav = "".join(
        f'<li><a href="/c{i}/">{name}</a></li>'
        for i, name in enumerate(["首頁", "時政要聞", "援疆動態", "民生", "產業", "圖片新聞", "專題"])
    )
    paragraphs = "\n".join(f"<p>{esc(line)}</p>" for line in body)
    editor, next_link, browse = furniture[0], furniture[1], furniture[2]
    items = [f for f in furniture[3:] if f.startswith("- [")]
    related, comments, plugin = furniture[3 + len(items)], furniture[4 + len(items)], furniture[5 + len(items)]
    ads = [f for f in furniture[6 + len(items) :] if f.startswith("- ")]
    item_list = "".join(f'<li><a href="/a/{i}.html">{esc(t[2:])}</a></li>' for i, t in enumerate(items))
    ad_list = "".join(f'<li><a href="/ad/{i}.html">{esc(t[2:])}</a></li>' for i, t in enumerate(ads))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{esc(title)}_中國東營網</title>
<meta name="keywords" content="援疆,東營"></head>
<body>
<div class="top"><a href="/">中國東營網</a> <a href="/login">登錄</a></div>
<ul class="nav">{nav}</ul>
<div class="position">當前位置：<a href="/">首頁</a> &gt; <a href="/c2/">援疆動態</a> &gt; 正文</div>
<div class="main">
  <h1>{esc(title)}</h1>
  <div class="info">發(fā)布時間：2023-07-20 10:30  來源：東營日報  作者：張(zhāng)明 李華</div>
  <div class="content">
{paragraphs}
<p>{esc(editor)}</p>
<p>{esc(next_link.split(":", 1)[0])}:<a href="/a/next.html">{esc(next_link.split(":", 1)[1])}</a></p>
  </div>
  <div class="browse"><div class="title">{esc(browse)}</div><ul>{item_list}</ul></div>
  <p>{esc(related)}</p>
  <p>{esc(comments)}</p>
  <p>{esc(plugin)}</p>
  <ul>{ad_list}</ul>
</div>
<div class="footer">版權所有 中國東營網 魯ICP備12345678號</div>
</body></html>"""


@pytest.fixture(scope="module")
def seed_cleaned() -> tuple[Cleaned, list[str]]:
    lines = _seed_lines()
    return clean(_portal_page(lines), url="https://www.example.cn/content/2023-07/20/12345.html"), lines


def test_seed_body_starts_at_line_two_and_ends_with_the_last_sentence(seed_cleaned):
    cleaned, lines = seed_cleaned
    assert cleaned.paragraphs[0] == lines[1]
    assert cleaned.paragraphs[-1].endswith("寶貴的記憶。")


def test_seed_editor_line_gives_the_editor_and_ends_the_body(seed_cleaned):
    cleaned, _ = seed_cleaned
    assert cleaned.editor == "admin"


def test_seed_furniture_never_reaches_the_body(seed_cleaned):
    cleaned, _ = seed_cleaned
    expected = json.loads((SEED / "aid-article.expected.json").read_text(encoding="utf-8"))
    body_key = make_key(cleaned.body).text
    for phrase in expected["must_not_be_in_body"]:
        if phrase.startswith("(") or phrase.startswith("</"):
            continue  # pinyin and tag remnants are the normaliser's job; the cleaner keeps page text
        assert phrase not in body_key, phrase


def test_seed_title_drops_the_site_suffix(seed_cleaned):
    cleaned, lines = seed_cleaned
    assert cleaned.title == lines[0]


def test_seed_date_source_and_authors_from_the_traditional_info_line(seed_cleaned):
    cleaned, _ = seed_cleaned
    assert cleaned.published_at == datetime(2023, 7, 20, 10, 30, tzinfo=SHANGHAI)
    assert cleaned.source == "東營日報"
    assert cleaned.author == "張(zhāng)明 李華"


def _fixture_names() -> list[str]:
    return sorted(p.stem for p in PAGES.glob("*.html"))


@pytest.fixture(scope="module", params=_fixture_names())
def fixture_page(request) -> tuple[Cleaned, dict]:
    expected = json.loads((PAGES / f"{request.param}.json").read_text(encoding="utf-8"))
    html_text = (PAGES / f"{request.param}.html").read_text(encoding="utf-8")
    return clean(html_text, url=expected["url"]), expected


def test_fixture_metadata_fields(fixture_page):
    cleaned, expected = fixture_page
    published = cleaned.published_at.isoformat() if cleaned.published_at else None
    got = {
        "title": cleaned.title,
        "subtitle": cleaned.subtitle,
        "published_at": published,
        "source": cleaned.source,
        "author": cleaned.author,
        "editor": cleaned.editor,
        "canonical_url": cleaned.canonical_url,
    }
    assert got == {name: expected[name] for name in got}


def test_fixture_body_boundaries(fixture_page):
    cleaned, expected = fixture_page
    assert len(cleaned.paragraphs) == expected["paragraph_count"], cleaned.paragraphs
    assert cleaned.paragraphs[0].lstrip("\u3000 ").startswith(expected["first_paragraph_starts"])
    assert cleaned.paragraphs[-1].endswith(expected["last_paragraph_ends"])


def test_fixture_furniture_is_dropped(fixture_page):
    cleaned, expected = fixture_page
    leaked = [phrase for phrase in expected["not_in_body"] if phrase in cleaned.body]
    assert leaked == []


def test_fixture_images_and_captions(fixture_page):
    cleaned, expected = fixture_page
    assert [{"src": i.src, "caption": i.caption} for i in cleaned.images] == expected["images"]


def test_published_at_is_always_timezone_aware(fixture_page):
    cleaned, _ = fixture_page
    assert cleaned.published_at is None or cleaned.published_at.utcoffset() is not None


# --- labels and dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("責(zé)任編輯:admin", "editor", "admin"),
        ("【责任编辑：张三】", "editor", "张三"),
        ("編輯：王五　審核：趙六", "editor", "王五"),
        ("來源：新疆日報", "source", "新疆日報"),
        ("本报记者 张三 李四 通讯员 王五", "author", "张三 李四 王五"),
        ("作者：张三（新疆大学）", "author", "张三"),
        ("文/图 李明", "author", "李明"),
        ("作者：新疆日报记者 张三 通讯员 李四", "author", "张三 李四"),
        ("作者:買買提(tí) 劉洋", "author", "買買提(tí) 劉洋"),
    ],
)
def test_labelled_lines_in_either_script(line, field, value):
    meta = read_meta_line(line)
    assert meta.is_meta
    assert meta.fields[field] == value


def test_prose_that_starts_like_a_label_is_not_metadata():
    prose = "记者从自治区人社厅获悉，今年全区新增城镇就业人数超过40万人，完成全年目标任务的九成。"
    assert not read_meta_line(prose).is_meta
    assert not read_meta_line("编辑推荐").is_meta


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("發(fā)布時間：2023年6月12日 10:30", datetime(2023, 6, 12, 10, 30, tzinfo=SHANGHAI)),
        ("2023-06-12", datetime(2023, 6, 12, tzinfo=SHANGHAI)),
        ("时间：2023/6/2 8:05:09", datetime(2023, 6, 2, 8, 5, 9, tzinfo=SHANGHAI)),
        ("２０２３年０６月１２日", datetime(2023, 6, 12, tzinfo=SHANGHAI)),
        ("二〇二三年十二月三十一日", datetime(2023, 12, 31, tzinfo=SHANGHAI)),
        ("2023-13-45", None),
    ],
)
def test_find_date_reads_chinese_and_numeric_forms(text, expected):
    assert find_date(text) == expected


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("http://www.example.gov.cn/xwzx/2023-06/12/content_1.htm", "2023-06-12"),
        ("http://www.example.gov.cn/zwgk/202306/t20230612_998.html", "2023-06-12"),
        ("https://news.example.com/2023/06/12/abc.shtml", "2023-06-12"),
    ],
)
def test_url_date_when_the_page_has_none(url, day):
    page = (
        "<html><body><h1>援疆工作会议召开</h1>"
        "<p>会议指出，要进一步做好对口支援工作，推动项目落地见效。</p></body></html>"
    )
    cleaned = clean(page, url=url)
    assert cleaned.published_at is not None
    assert cleaned.published_at.date().isoformat() == day


def test_dates_inside_the_body_or_sidebar_are_not_the_publication_date():
    page = """<html><head><title>援疆医疗队义诊_某网</title></head><body>
    <div class="side"><ul><li><a href="/1">往期新闻标题一二三</a> 2021-01-05</li></ul></div>
    <div class="content"><h1>援疆医疗队义诊</h1>
    <p>2020年3月，援疆医疗队进驻疏勒县，此后每月开展义诊活动，累计服务群众上万人次。</p>
    <p>医疗队表示，将在2024年6月前完成对当地医生的轮训，把技术留在当地。</p></div></body></html>"""
    assert clean(page).published_at is None


def test_meta_pubdate_and_json_ld_are_read():
    meta = (
        '<html><head><meta name="PubDate" content="2021-05-06 07:08:09"></head><body><p>正文，内容。</p></body></html>'
    )
    assert clean(meta).published_at == datetime(2021, 5, 6, 7, 8, 9, tzinfo=SHANGHAI)
    ld = (
        '<html><head><script type="application/ld+json">{"datePublished": "2021-05-06T07:08:09Z"}</script>'
        "</head><body><p>正文，内容。</p></body></html>"
    )
    assert clean(ld).published_at.isoformat() == "2021-05-06T07:08:09+00:00"


# --- container choice and the interface --------------------------------------------------------------------


def test_body_selector_overrides_the_container():
    page = """<html><body><div id="a"><p>第一段很长的正文内容，写了很多很多的字，句子，标点，逗号，句号。</p>
    <p>第二段也是正文，继续写很多字，很多标点，很多内容，以便它被选为正文。</p></div>
    <div id="b"><p>这是另一段较短的说明。</p></div></body></html>"""
    assert clean(page).paragraphs[0].startswith("第一段")
    assert clean(page, body_selector="#b").paragraphs == ["这是另一段较短的说明。"]


def test_selector_that_matches_nothing_falls_back_to_the_generic_choice():
    page = "<html><body><div><p>援疆项目建设进展顺利，今年计划完成投资十亿元，惠及群众数万人。</p></div></body></html>"
    assert clean(page, body_selector="div.gone").paragraphs == clean(page).paragraphs != []


def test_invalid_selector_is_a_clean_error():
    with pytest.raises(CleanError, match="body_selector"):
        clean("<p>正文。</p>", body_selector="div[")


def test_bytes_are_refused_with_a_clean_error():
    with pytest.raises(CleanError, match="decoded text"):
        clean(b"<p>\xd5\xfd\xce\xc4</p>")  # type: ignore[arg-type]


def test_empty_page_gives_an_empty_article():
    cleaned = clean("   ")
    assert cleaned.paragraphs == [] and cleaned.title is None and cleaned.body == ""


def test_canonical_link_is_made_absolute():
    page = '<html><head><link rel="canonical" href="/a/1.html"></head><body><p>正文。</p></body></html>'
    assert clean(page, url="https://example.cn/x/y.html?p=1").canonical_url == "https://example.cn/a/1.html"


def test_hidden_blocks_and_scripts_never_reach_the_body():
    page = """<html><body><div class="article"><p>援疆项目建设进展顺利，今年计划完成投资十亿元，惠及群众数万人。</p>
    <p style="display:none">隐藏的文字，不应出现，不应出现。</p><script>var s = "脚本里的字，不应出现。";</script>
    <p>项目建成后，将进一步改善当地群众的生产生活条件，带动就业。</p></div></body></html>"""
    body = clean(page).body
    assert "隐藏" not in body and "脚本" not in body and "带动就业" in body


def test_unlabelled_byline_spans_are_read_by_their_class_names():
    page = """<html><head><title>援疆产业园新添企业_前方指挥部</title></head><body>
    <div class="side"><ul><li><a href="/1">其他新闻标题文字</a><span class="source">别的报纸</span></li></ul></div>
    <div class="article"><h1>援疆产业园新添企业</h1>
    <div class="info"><span class="date">2023-05-04 09:30</span> <span class="source">喀什日报</span>
    <span class="author">张三 李四</span></div>
    <div class="text"><p>今年以来，援疆产业园新引进企业五家，带动当地群众就业八百余人，园区产值持续增长。</p></div>
    </div></body></html>"""
    cleaned = clean(page)
    assert (cleaned.source, cleaned.author) == ("喀什日报", "张三 李四")
    assert cleaned.published_at == datetime(2023, 5, 4, 9, 30, tzinfo=SHANGHAI)


def test_editor_in_its_own_element_after_the_body():
    page = """<html><body><div class="article"><h1>标题文字在这里</h1>
    <div id="zoom"><p>援疆项目建设进展顺利，今年计划完成投资十亿元，惠及群众数万人。</p>
    <p>项目建成后，将进一步改善当地群众的生产生活条件，带动就业。</p></div>
    <div class="editor">（责任编辑：马丽）</div>
    <div class="prevnext"><p>上一篇：<a href="/1">前一篇文章的标题</a></p></div></div></body></html>"""
    cleaned = clean(page)
    assert cleaned.editor == "马丽"
    assert len(cleaned.paragraphs) == 2


def test_a_section_heading_inside_the_body_is_not_a_subtitle():
    page = """<html><body><div class="article"><h1>援疆项目推进会召开</h1>
    <div class="content"><h2>一、项目进展</h2>
    <p>今年以来，援疆项目建设进展顺利，计划完成投资十亿元，惠及群众数万人。</p>
    <h2>二、下一步安排</h2><p>下一步，将进一步加快项目建设进度，确保项目早日建成投用、发挥效益。</p></div></div></body></html>"""
    cleaned = clean(page)
    assert cleaned.subtitle is None
    assert cleaned.paragraphs[0] == "一、项目进展"


# --- the demo portal's ground truth -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal_scores() -> dict[str, float]:
    """Body bigram F1 (macro), date-to-the-day, author and editor rates of clean() over the demo portal."""
    from crawler.demo import render_articles
    from etl.text.encoding import decode_html
    from etl.text.normalise import normalise

    pages = [page for page in render_articles() if page.truth and page.truth.get("paragraphs")]
    assert pages, "the demo portal renders no article page with ground truth"

    def comparable(text: str | None) -> str:
        text = unicodedata.normalize("NFKC", normalise(text or "").text)
        return "".join(ch for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith(("P", "S")))

    def names(value: str | None) -> list[str]:
        return make_key(normalise(value or "").text).text.split()

    def f1(found: str, truth: str) -> float:
        a, b = comparable(found), comparable(truth)
        grams_a, grams_b = Counter(zip(a, a[1:], strict=False)), Counter(zip(b, b[1:], strict=False))
        common = sum((grams_a & grams_b).values())
        return 2 * common / (sum(grams_a.values()) + sum(grams_b.values())) if common else 0.0

    totals = Counter()
    for page in pages:
        truth = page.truth
        cleaned = clean(decode_html(page.body, page.content_type).text, url=f"http://127.0.0.1{page.path}")
        totals["f1"] += f1(cleaned.body, "\n".join(truth["paragraphs"]))
        day = datetime.fromisoformat(truth["published_at"]).astimezone(SHANGHAI).date()
        totals["date"] += bool(cleaned.published_at) and cleaned.published_at.astimezone(SHANGHAI).date() == day
        totals["author"] += names(cleaned.author) == names(truth.get("author"))
        totals["editor"] += names(cleaned.editor) == names(truth.get("editor"))
    return {name: value / len(pages) for name, value in totals.items()}


def test_demo_portal_body_f1_macro_mean_is_at_least_097(portal_scores):
    assert portal_scores["f1"] >= 0.97


def test_demo_portal_date_right_to_the_day_on_97_percent(portal_scores):
    assert portal_scores["date"] >= 0.97


def test_demo_portal_author_and_editor_right_on_95_percent(portal_scores):
    assert portal_scores["author"] >= 0.95 and portal_scores["editor"] >= 0.95


def test_unhinted_boxes_after_the_text_and_a_link_list_are_not_body():
    sentence = "今年以来，援疆项目建设进展顺利，计划完成投资十亿元，惠及群众数万人，群众满意度不断提升。"
    article = "".join(f"<p>{n}{sentence}</p>" for n in "一二三四")
    links = "".join(f'<li><a href="/{n}">相关的第{n}条新闻标题写在这里</a></li>' for n in "一二三四")
    page = f"""<html><body><div class="main"><h1>援疆项目推进会召开</h1>{article}<ul>{links}</ul>
    <div class="box"><p>本网简介：本网是一家综合性新闻网站，致力于报道各地新闻，欢迎广大读者投稿。</p></div>
    </div></body></html>"""
    assert [p[0] for p in clean(page).paragraphs] == list("一二三四")


def test_the_publication_date_wins_over_the_document_date():
    page = """<html><body><h1>关于印发援疆项目管理办法的通知</h1>
    <table><tr><td>成文日期：2023-05-20</td></tr><tr><td>发布日期：2023-06-02</td></tr></table>
    <div class="content"><p>各有关单位：现将《援疆项目管理办法》印发给你们，请结合实际认真贯彻执行。</p></div>
    </body></html>"""
    assert clean(page).published_at.date().isoformat() == "2023-06-02"


def test_prose_that_starts_with_a_furniture_word_stays():
    page = """<html><body><div class="content"><p>援疆项目建设进展顺利，今年计划完成投资十亿元，惠及群众数万人。</p>
    <p>分享经验，共同提高。</p><p>位置优越，交通便利。</p><p>分享到：微信 微博</p></div></body></html>"""
    assert clean(page).paragraphs[1:] == ["分享经验，共同提高。", "位置优越，交通便利。"]


def test_sentences_with_footer_words_stay_in_the_body():
    page = """<html><body><div class="content"><p>援疆项目建设进展顺利，今年计划完成投资十亿元，惠及群众数万人。</p>
    <p>活动由自治区文旅厅主办，喀什地区承办。</p><p>专家建议使用节水灌溉技术。</p>
    <p>主办单位：某某网 技术支持：某某公司</p><p>地址：乌鲁木齐市 电话：0991-1234567</p></div></body></html>"""
    assert clean(page).paragraphs[1:] == ["活动由自治区文旅厅主办，喀什地区承办。", "专家建议使用节水灌溉技术。"]


def test_a_labelled_line_that_gives_nothing_stays_in_the_text():
    page = """<html><body><div class="content"><p>援疆项目建设进展顺利，今年计划完成投资十亿元，惠及群众数万人。</p>
    <p>时间：6月12日上午 地点：县会议中心</p>
    <p>欢迎各界人士参加，共同见证项目签约，推动合作走深走实。</p></div></body></html>"""
    assert "时间：6月12日上午 地点：县会议中心" in clean(page).paragraphs


def test_editor_from_a_short_furniture_line_after_the_text():
    sentence = "今年以来，各地区各部门认真贯彻落实决策部署，对口支援工作取得新进展，受援地群众获得感持续增强。"
    page = f"""<html><body><h1>关于进一步做好对口支援工作的通知</h1>
    <div class="pages_content">{"".join(f"<p>{sentence}</p>" for _ in range(3))}</div>
    <div class="bottom-box">【我要纠错】 责任编辑：张三</div></body></html>"""
    assert clean(page).editor == "张三"


def test_body_selector_may_name_a_single_paragraph():
    page = """<html><body><div><p>第一段很长的正文内容，写了很多很多的字，句子，标点，逗号，句号。</p>
    <p class="lead">导语这一段，也有标点。</p></div></body></html>"""
    assert clean(page, body_selector="p.lead").paragraphs == ["导语这一段，也有标点。"]


def test_a_caption_worded_like_a_label_is_the_photo_caption():
    sentence = "援疆项目建设进展顺利，今年计划完成投资十亿元，惠及群众数万人，群众满意度不断提升。"
    page = f"""<html><body><div class="content"><p>{sentence}</p><p><img src="/p/1.jpg"></p>
    <p>图：援疆干部走访村民</p><p>{sentence}</p></div></body></html>"""
    cleaned = clean(page, url="http://example.cn/a/1.html")
    assert [(i.src, i.caption) for i in cleaned.images] == [("http://example.cn/p/1.jpg", "图：援疆干部走访村民")]
    assert cleaned.paragraphs == [sentence, sentence]


def test_an_article_inside_a_wrapper_named_like_boilerplate_is_still_found():
    sentence = "援疆项目建设进展顺利，今年计划完成投资十亿元，惠及群众数万人，群众满意度不断提升。"
    page = f"""<html><body><div class="nav"><a href="/">首页</a><a href="/n">新闻</a></div>
    <div class="wrap has-sidebar"><h1>援疆项目推进会召开</h1>{"".join(f"<p>{sentence}</p>" for _ in range(3))}
    <div class="article-footer">责任编辑：王五</div></div></body></html>"""
    cleaned = clean(page)
    assert cleaned.paragraphs == [sentence] * 3
    assert cleaned.editor == "王五"


def test_the_lean_builder_builds_the_same_tree_as_the_stock_lxml_builder():
    from bs4 import BeautifulSoup

    from etl.html.parse import HTMLTreeBuilder

    pages = [p.read_text(encoding="utf-8") for p in sorted(PAGES.glob("*.html"))]
    pages.append(
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><body><p lang="zh" xml:lang="zh">'
        '正文<o:p></o:p></p><svg xmlns="http://www.w3.org/2000/svg"><path d="M0"/></svg></body></html>'
    )
    for page in pages:
        stock = BeautifulSoup(page, "lxml", multi_valued_attributes=None)
        lean = BeautifulSoup(page, builder=HTMLTreeBuilder(multi_valued_attributes=None))
        assert str(lean) == str(stock)
