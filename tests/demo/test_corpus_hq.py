"""The aid-headquarters half of the demo corpus (`crawler/demo/corpus/hq.jsonl`): its gold must be trustworthy."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

import pytest
from shared import AGREED, demo_corpus_lines

TOTAL = 32
SYNDICATED = 8
PROGRAM_COUNTS = {"援疆": 14, "援藏": 6, "援青": 4, "东西部协作": 5, "定点帮扶": 3}
RECIPIENT_PROVINCE = {"援疆": "新疆维吾尔自治区", "援藏": "西藏自治区", "援青": "青海省"}

METRIC_FIELDS = {"text", "value", "value_max", "unit", "qualifier", "category"}
METRIC_EXTRAS = {"optional", "occurrence"}

# Number-like strings the corpus plants on purpose: a parser must reject them, so no gold span may touch them.
PLANTED_NON_METRICS = (
    "2017年至2019年",
    "1至10月",
    "1至8月",
    "5月10日",
    "9月12日",
    "2024年12月",  # dates and date ranges
    "第十批",
    "第十一批",
    "第九批",
    "第三届",
    "第二次",
    "第一书记",
    "首批",  # ordinals
    "第八十中学",
    "北京四中",
    "第三小学",
    "第九人民医院",
    "第一附属医院",  # names holding numbers
    "“5+2”",
    "三措并举",
    "“两地十景”",
    "一户一策",
    "一企一专员",
    "“十四五”",  # slogans and formulas
    "0891-6838122",
    "0755-83861209",
    "0903-6712345",
    "0902-2236120",
    "12345热线",  # phone numbers
    "52岁",
    "67岁",
    "五十多岁",
    "年过半百",  # ages
    "（2）班",
    "（3）班",
    "5号楼",
    "3号楼",
    "“832平台”",
    "四把镇",
    "八闽",  # numbers that name things
    "海拔4000米",
    "海拔3,900米",
    "3至5摄氏度",
    "近20分",
    "每周四",
    "周三、周六",  # quantities outside the units
    "三级甲等",
    "前三季度",
    "金秋十月",
    "“五一”",
    "千家万户",
    "香万家",
    "一笔一画",
)


@pytest.fixture(scope="module")
def articles() -> list[dict]:
    return demo_corpus_lines("hq")


def body(article: dict) -> str:
    return "\n".join(article["paragraphs"])


def gold_span(text: str, metric: dict) -> tuple[int, int]:
    """Start and end of the metric's text at its stated (0-based) occurrence; (-1, -1) when absent."""
    start = -1
    for _ in range(metric.get("occurrence", 0) + 1):
        start = text.find(metric["text"], start + 1)
        if start < 0:
            return -1, -1
    return start, start + len(metric["text"])


def all_metrics(articles: list[dict]):
    for article in articles:
        for metric in article["metrics"]:
            yield article, metric


def test_the_file_holds_32_hq_articles_numbered_without_gaps(articles: list[dict]) -> None:
    assert [a["id"] for a in articles] == [f"hq-{n:03d}" for n in range(1, TOTAL + 1)]
    assert {a["site"] for a in articles} == {"hq"}


def test_every_article_has_exactly_the_agreed_keys_in_order(articles: list[dict]) -> None:
    for article in articles:
        assert tuple(article) == AGREED.line_fields, article["id"]


def test_text_fields_are_strings_or_null_where_allowed(articles: list[dict]) -> None:
    for article in articles:
        assert isinstance(article["title"], str) and article["title"].strip(), article["id"]
        for key in ("subtitle", "source", "author", "editor"):
            assert article[key] is None or (isinstance(article[key], str) and article[key].strip()), article["id"]
        assert isinstance(article["date_only"], bool), article["id"]


def test_the_byline_fields_vary_like_real_pages(articles: list[dict]) -> None:
    def nulls(key: str) -> int:
        return sum(a[key] is None for a in articles)

    assert 4 <= sum(a["subtitle"] is not None for a in articles) <= 7
    assert nulls("source") >= 3 and nulls("author") >= 4 and nulls("editor") >= 3
    assert sum(a["date_only"] for a in articles) >= 4


def test_author_and_editor_are_short_names_absent_from_the_body(articles: list[dict]) -> None:
    for article in articles:
        for key in ("author", "editor"):
            for name in (article[key] or "").split():
                assert 2 <= len(name) <= 4, (article["id"], name)
        assert not re.search(r"责任编辑|记者\s|通讯员\s|编辑[:：]", body(article)), article["id"]


def test_published_at_has_an_offset_falls_in_2019_to_2025_and_date_only_is_midnight(articles) -> None:
    for article in articles:
        published = datetime.fromisoformat(article["published_at"])
        assert published.utcoffset() is not None, article["id"]
        assert published.utcoffset().total_seconds() == 8 * 3600, article["id"]
        assert 2019 <= published.year <= 2025, article["id"]
        if article["date_only"]:
            assert published.time().isoformat() == "00:00:00", article["id"]
    assert len({datetime.fromisoformat(a["published_at"]).year for a in articles}) == 7


def test_bodies_are_article_sized_and_only_headings_are_short(articles: list[dict]) -> None:
    for article in articles:
        paragraphs = article["paragraphs"]
        assert 4 <= len(paragraphs) <= 9, article["id"]
        assert 500 <= sum(map(len, paragraphs)) <= 1500, article["id"]
        for paragraph in paragraphs:
            assert paragraph == paragraph.strip() and "\n" not in paragraph, article["id"]
            assert len(paragraph) <= 250, (article["id"], paragraph[:20])
            if len(paragraph) < 60:
                assert len(paragraph) <= 30 and not paragraph.endswith("。"), (article["id"], paragraph)


def test_exactly_eight_articles_are_syndicated_to_the_portal(articles: list[dict]) -> None:
    assert sum(a["syndicated_to"] == ["portal"] for a in articles) == SYNDICATED
    assert all(a["syndicated_to"] in ([], ["portal"]) for a in articles)


def test_programs_are_spread_as_planned_and_recipients_fit_them(articles: list[dict]) -> None:
    assert Counter(a["program"] for a in articles) == PROGRAM_COUNTS
    for article in articles:
        for side in ("provider", "recipient"):
            assert set(article[side]) == {"province", "prefecture", "county"}, article["id"]
        expected = RECIPIENT_PROVINCE.get(article["program"])
        if expected:
            assert article["recipient"]["province"] == expected, article["id"]
        assert article["recipient"]["province"], article["id"]


def test_batch_is_stated_in_the_body_whenever_it_is_set(articles: list[dict]) -> None:
    numerals = {9: "九", 10: "十", 11: "十一"}
    for article in articles:
        if article["batch"] is not None:
            assert f"第{numerals[article['batch']]}批" in body(article), article["id"]


def test_topics_come_from_the_agreed_list(articles: list[dict]) -> None:
    for article in articles:
        assert article["topics"] and set(article["topics"]) <= AGREED.topics, article["id"]
        assert len(set(article["topics"])) == len(article["topics"]), article["id"]


def test_metrics_have_the_agreed_fields_and_vocabularies(articles: list[dict]) -> None:
    for article, metric in all_metrics(articles):
        assert METRIC_FIELDS <= set(metric) <= METRIC_FIELDS | METRIC_EXTRAS, (article["id"], metric)
        assert metric["unit"] in AGREED.units, (article["id"], metric)
        assert metric["qualifier"] in AGREED.qualifiers, (article["id"], metric)
        assert metric["category"] in AGREED.categories, (article["id"], metric)
        assert metric.get("optional", False) in (True, False), (article["id"], metric)


def test_values_are_positive_floats_and_ranges_go_up(articles: list[dict]) -> None:
    for article, metric in all_metrics(articles):
        assert isinstance(metric["value"], float) and metric["value"] > 0, (article["id"], metric)
        if metric["value_max"] is not None:
            assert isinstance(metric["value_max"], float), (article["id"], metric)
            assert metric["value_max"] > metric["value"], (article["id"], metric)


def test_every_metric_text_stands_in_the_body_at_its_stated_occurrence(articles: list[dict]) -> None:
    for article, metric in all_metrics(articles):
        text = body(article)
        assert gold_span(text, metric)[0] >= 0, (article["id"], metric["text"])
        if text.count(metric["text"]) > 1:
            assert "occurrence" in metric, (article["id"], metric["text"])


def test_a_repeated_text_names_the_occurrence_that_is_not_part_of_a_bigger_number(articles) -> None:
    """千余名 also stands inside 三千余名, 20万元 inside 620万元: the gold must point past those."""
    digits = "0123456789.,"
    numerals = "零一二两三四五六七八九十百千万"
    for article, metric in all_metrics(articles):
        text = body(article)
        start, end = gold_span(text, metric)
        before = text[start - 1] if start > 0 else ""
        if metric["text"][0] in digits:
            assert before not in digits or not before, (article["id"], metric["text"])
        if metric["text"][0] in numerals:
            assert before not in numerals or not before, (article["id"], metric["text"])
        if metric["text"][-1].isdigit() and end < len(text):
            assert not text[end].isdigit(), (article["id"], metric["text"])


def test_gold_spans_never_overlap(articles: list[dict]) -> None:
    for article in articles:
        spans = sorted(gold_span(body(article), m) for m in article["metrics"])
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end <= start, (article["id"], spans)


def test_qualifier_follows_the_marks_written_in_the_mention(articles: list[dict]) -> None:
    for article, metric in all_metrics(articles):
        text = metric["text"]
        if re.search(r"约|近|左右|上下", text):
            assert metric["qualifier"] == "about", (article["id"], text)
        elif re.search(r"余|多|超|逾|过|以上|上[万百千]", text):
            assert metric["qualifier"] == "over", (article["id"], text)


def test_money_in_arabic_digits_is_stored_in_yuan(articles: list[dict]) -> None:
    money = re.compile(r"^[约近超逾过]*(?:超过)?([0-9][0-9,]*(?:\.[0-9]+)?)(余|多)?([万亿]?)元")
    scale = {"": 1, "万": 10_000, "亿": 100_000_000}
    checked = 0
    for article, metric in all_metrics(articles):
        match = money.match(metric["text"])
        if match:
            expected = float(match.group(1).replace(",", "")) * scale[match.group(3)]
            assert metric["unit"] == "CNY", (article["id"], metric["text"])
            assert metric["value"] == pytest.approx(expected, rel=1e-9), (article["id"], metric["text"])
            checked += 1
    assert checked >= 80


def test_weights_and_land_are_converted_to_base_units(articles: list[dict]) -> None:
    factors = {"万吨": 10_000_000, "吨": 1000, "万斤": 5000, "斤": 0.5, "公斤": 1, "公顷": 10_000}
    plain = re.compile(r"^[约近]?([0-9][0-9,]*(?:\.[0-9]+)?)(万吨|吨|万斤|斤|公斤|公顷)")
    checked = 0
    for article, metric in all_metrics(articles):
        match = plain.match(metric["text"])
        if match:
            expected = float(match.group(1).replace(",", "")) * factors[match.group(2)]
            assert metric["value"] == pytest.approx(expected, rel=1e-9), (article["id"], metric["text"])
            assert metric["unit"] == ("m2" if match.group(2) == "公顷" else "kg"), (article["id"], metric["text"])
            checked += 1
    assert checked >= 15


def test_planted_non_metrics_are_present_and_never_inside_gold(articles: list[dict]) -> None:
    found = set()
    for article in articles:
        text = body(article)
        spans = [gold_span(text, m) for m in article["metrics"]]
        for trap in PLANTED_NON_METRICS:
            for match in re.finditer(re.escape(trap), text):
                found.add(trap)
                for start, end in spans:
                    assert end <= match.start() or start >= match.end(), (article["id"], trap)
    assert found == set(PLANTED_NON_METRICS), set(PLANTED_NON_METRICS) - found


def test_dates_years_and_ages_never_fall_inside_gold(articles: list[dict]) -> None:
    patterns = (
        re.compile(r"[0-9]{4}年"),
        re.compile(r"[0-9]{1,2}月[0-9]{1,2}日"),
        re.compile(r"[0-9]+岁"),
        re.compile(r"第[一二三四五六七八九十百0-9]+"),
    )
    for article in articles:
        text = body(article)
        spans = [gold_span(text, m) for m in article["metrics"]]
        for pattern in patterns:
            for match in pattern.finditer(text):
                for start, end in spans:
                    assert end <= match.start() or start >= match.end(), (article["id"], match.group())


def test_the_corpus_exercises_every_unit_and_several_number_shapes(articles: list[dict]) -> None:
    metrics = [m for _, m in all_metrics(articles)]
    units = {m["unit"] for m in metrics}
    assert units == AGREED.units
    texts = [m["text"] for m in metrics]
    shapes = {
        "thousands separator": r"[0-9],[0-9]{3}",
        "decimal with magnitude": r"[0-9]\.[0-9]+[万亿]",
        "chinese numerals": r"^[一二两三四五六七八九十百千]+[余多]?[名人户家所项场台张个]",
        "magnitude only": r"^(?:过亿|上万|上百)",
        "range": r"[至—到]",
        "percent": r"%$",
    }
    for name, pattern in shapes.items():
        assert sum(bool(re.search(pattern, t)) for t in texts) >= 3, name
    assert sum(m["value_max"] is not None for m in metrics) >= 10
