"""The county and portal halves of the demo corpus: well-formed articles whose gold metrics can be trusted."""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime

import pytest
from shared import AGREED, demo_corpus_lines

FILES = {"county": 18, "portal": 14}

PROGRAMS = {"援疆", "援藏", "援青", "东西部协作", "对口支援", "定点帮扶"}
OVER_MARKS = ("余", "多", "超", "逾", "过", "以上")
ABOUT_MARKS = ("约", "近", "左右", "上下")
# Spans a parser must reject; a gold metric may never overlap one of them.
NON_METRICS = (
    re.compile(r"[0-9０-９]{4}年(?:[0-9０-９]{1,2}月)?"),  # dates and years
    re.compile(r"[0-9０-９]{1,2}月[0-9０-９]{1,2}日"),  # month and day
    re.compile(r"第[一二三四五六七八九十百0-9]+[批届个次]?"),  # ordinals, 第一书记
    re.compile(r"[0-9０-９]+岁|[一二三四五六七八九十]+多?岁"),  # ages
    re.compile(r"[0-9]{3,4}-[0-9]{7,8}|[0-9]{3,5}(?:热线|报警)"),  # phone and hotline numbers
    re.compile(r"[0-9]+号(?:楼|车间|院|线)"),  # numbers that name things
    re.compile(r"“[0-9]+\+[0-9+]+”"),  # formulas: “5+2”, “1+1+7”
)


def body_of(article: dict) -> str:
    return "\n".join(article["paragraphs"])


def span_of(body: str, metric: dict) -> tuple[int, int] | None:
    """Where the metric's text stands in the body, at its stated (0-based) occurrence."""
    start = -1
    for _ in range(metric.get("occurrence", 0) + 1):
        start = body.find(metric["text"], start + 1)
        if start < 0:
            return None
    return start, start + len(metric["text"])


def count_of(body: str, text: str) -> int:
    return sum(1 for i in range(len(body)) if body.startswith(text, i))


@pytest.fixture(scope="module", params=sorted(FILES))
def site_articles(request: pytest.FixtureRequest) -> tuple[str, list[dict]]:
    return request.param, demo_corpus_lines(request.param)


def all_articles() -> list[dict]:
    return [a for site in sorted(FILES) for a in demo_corpus_lines(site)]


def test_lines_are_articles_with_the_agreed_keys(site_articles: tuple[str, list[dict]]) -> None:
    site, articles = site_articles
    for article in articles:
        assert set(article) == set(AGREED.line_fields), article.get("id")
        assert article["site"] == site


def test_ids_run_from_one_to_the_site_total_without_gaps_or_repeats(site_articles) -> None:
    site, articles = site_articles
    ids = [a["id"] for a in articles]
    assert ids == [f"{site}-{n:03d}" for n in range(1, FILES[site] + 1)]


def test_every_metric_text_stands_in_the_body_at_its_occurrence() -> None:
    for article in all_articles():
        body = body_of(article)
        for metric in article["metrics"]:
            assert span_of(body, metric) is not None, (article["id"], metric["text"])
            if count_of(body, metric["text"]) > 1:
                assert "occurrence" in metric, (article["id"], metric["text"], "repeats: say which")


def test_metric_text_is_not_the_tail_of_a_longer_number() -> None:
    for article in all_articles():
        body = body_of(article)
        for metric in article["metrics"]:
            start, _ = span_of(body, metric)
            if start and metric["text"][0] in "0123456789０１２３４５６７８９":
                assert body[start - 1] not in "0123456789０１２３４５６７８９.,．", (article["id"], metric["text"])


def test_gold_spans_do_not_overlap_each_other() -> None:
    for article in all_articles():
        body = body_of(article)
        spans = sorted(span_of(body, m) for m in article["metrics"])
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, (article["id"], spans)


def test_metric_fields_use_the_agreed_vocabularies() -> None:
    for article in all_articles():
        for metric in article["metrics"]:
            assert metric["unit"] in AGREED.units, metric
            assert metric["qualifier"] in AGREED.qualifiers, metric
            assert metric["category"] in AGREED.categories, metric
            assert isinstance(metric.get("optional", False), bool), metric


def test_values_are_positive_and_ranges_ascend() -> None:
    for article in all_articles():
        for metric in article["metrics"]:
            assert isinstance(metric["value"], float) and metric["value"] > 0, metric
            if metric["value_max"] is not None:
                assert metric["value_max"] > metric["value"], metric


def test_qualifier_agrees_with_the_words_of_the_mention() -> None:
    for article in all_articles():
        for metric in article["metrics"]:
            text = metric["text"]
            if any(mark in text for mark in ABOUT_MARKS):
                assert metric["qualifier"] == "about", metric
            elif any(mark in text for mark in OVER_MARKS):
                assert metric["qualifier"] == "over", metric


def test_dates_ages_ordinals_phones_and_formulas_are_never_gold() -> None:
    traps_seen = 0
    for article in all_articles():
        body = body_of(article)
        gold = [span_of(body, m) for m in article["metrics"]]
        for pattern in NON_METRICS:
            for match in pattern.finditer(body):
                traps_seen += 1
                for start, end in gold:
                    assert end <= match.start() or start >= match.end(), (article["id"], match.group())
    assert traps_seen >= 40


def test_published_at_carries_an_offset_and_date_only_means_midnight() -> None:
    for article in all_articles():
        published = datetime.fromisoformat(article["published_at"])
        assert published.utcoffset() is not None, article["id"]
        assert 2019 <= published.year <= 2025
        if article["date_only"]:
            assert (published.hour, published.minute, published.second) == (0, 0, 0), article["id"]


def test_paragraph_and_body_lengths_are_article_like() -> None:
    for article in all_articles():
        paragraphs = article["paragraphs"]
        assert 4 <= len(paragraphs) <= 9, article["id"]
        assert 500 <= len("".join(paragraphs)) <= 1500, article["id"]
        for paragraph in paragraphs:
            assert paragraph == paragraph.strip() and len(paragraph) <= 250, article["id"]
            if len(paragraph) < 60:  # only a section heading may be short
                assert len(paragraph) <= 30 and "。" not in paragraph, (article["id"], paragraph)


def test_bylines_are_short_names_kept_out_of_the_body() -> None:
    for article in all_articles():
        body = body_of(article)
        for key in ("author", "editor"):
            if article[key] is None:
                continue
            for name in article[key].split(" "):
                assert 2 <= len(name) <= 4, (article["id"], name)
        assert "责任编辑" not in body and "记者 " not in body, article["id"]


def test_program_places_batch_and_topics_are_well_formed() -> None:
    for article in all_articles():
        assert article["program"] in PROGRAMS
        for side in ("provider", "recipient"):
            assert set(article[side]) == {"province", "prefecture", "county"}, article["id"]
        assert article["recipient"]["province"], article["id"]
        assert article["batch"] is None or article["batch"] > 0
        assert article["topics"] and set(article["topics"]) <= AGREED.topics, article["id"]


def test_batch_is_the_number_of_the_stated_cohort() -> None:
    numerals = "一二三四五六七八九十"
    for article in all_articles():
        text = " ".join([article["title"], article["subtitle"] or "", *article["paragraphs"]])
        stated = re.findall(r"第([一二三四五六七八九十]+)批援", text)
        if not stated:
            assert article["batch"] is None, article["id"]
            continue
        word = stated[0]
        tens, _, units = word.rpartition("十")
        number = (numerals.index(tens) + 1 if tens else 1) * 10 if "十" in word else 0
        number += numerals.index(units) + 1 if units else 0
        assert article["batch"] == number, (article["id"], word)


def test_exactly_three_county_articles_are_syndicated_to_the_portal() -> None:
    county = demo_corpus_lines("county")
    assert sum(a["syndicated_to"] == ["portal"] for a in county) == 3
    assert all(a["syndicated_to"] in ([], ["portal"]) for a in county)
    assert all(a["syndicated_to"] == [] for a in demo_corpus_lines("portal"))


def test_county_pages_fit_gbk_and_some_need_more_than_gb2312() -> None:
    county = demo_corpus_lines("county")
    beyond_gb2312 = 0
    for article in county:
        text = json.dumps(article, ensure_ascii=False)
        text.encode("gb18030")
        text.encode("gbk")
        try:
            text.encode("gb2312")
        except UnicodeEncodeError:
            beyond_gb2312 += 1
    assert beyond_gb2312 >= 4


def test_both_files_exercise_the_parser_hard() -> None:
    texts = [m["text"] for a in all_articles() for m in a["metrics"]]
    joined = "".join(texts)
    assert any("," in t for t in texts), "thousands separators"
    assert any(c in joined for c in "０１２３４５６７８９"), "full-width digits"
    assert sum(m["value_max"] is not None for a in all_articles() for m in a["metrics"]) >= 5, "ranges"
    units = {m["unit"] for a in all_articles() for m in a["metrics"]}
    assert {"CNY", "person", "person_time", "household", "count", "m2", "mu", "km", "kg", "percent"} <= units
    assert sum(bool(m.get("optional")) for a in all_articles() for m in a["metrics"]) >= 10
