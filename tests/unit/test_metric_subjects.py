"""Subjects on word boundaries: over every figure of the demo portal's corpus, of the seed article and of the
shared corpus' real pages, no subject starts or ends inside a word of the segmenter's dictionary."""

from __future__ import annotations

import re

import pytest
from corpora import portal_extractions, real_extractions
from shared import CORPUS as PAGES
from shared import SEED, demo_articles

from etl.extract import Extraction
from etl.metrics import Metric, extract_metrics
from etl.metrics.subjects import word_bounds

# what ends a stretch of words: punctuation, spaces and figures (jieba segments between them on its own)
SEPARATOR = re.compile(r"[^\w]|_")
REACH = 40


def seed_body() -> str:
    from etl.text.normalise import normalise

    lines = (SEED / "aid-article.txt").read_text(encoding="utf-8").split("\n")
    last = next(index for index, line in enumerate(lines) if line.endswith("寶貴的記憶。"))
    return normalise("\n".join(lines[1 : last + 1])).text


def subject_place(body: str, metric: Metric) -> int:
    """Where the subject stands: its appearance closest to the mention, within REACH characters of it."""
    subject = metric.subject or ""
    low = max(0, metric.start - REACH - len(subject))
    places = [found.start() + low for found in re.finditer(re.escape(subject), body[low : metric.end + REACH])]
    assert places, (metric.text, subject)
    return min(places, key=lambda place: min(abs(place - metric.start), abs(place - metric.end)))


def stretch(body: str, place: int, size: int, mentions: list[Metric]) -> tuple[int, int]:
    """The run of text around [place, place+size) up to the nearest separator or figure on either side."""
    left, right = place, place + size
    while left > 0 and not SEPARATOR.match(body[left - 1]):
        left -= 1
    while right < len(body) and not SEPARATOR.match(body[right]):
        right += 1
    for mention in mentions:
        if mention.end <= place:
            left = max(left, mention.end)
        elif mention.start >= place + size:
            right = min(right, mention.start)
    return left, right


def cut_words(body: str) -> list[str]:
    """Subjects (with their mention) whose ends fall inside a word of the segmenter."""
    metrics = extract_metrics(body)
    bad = []
    for metric in metrics:
        if not metric.subject:
            continue
        place = subject_place(body, metric)
        left, right = stretch(body, place, len(metric.subject), metrics)
        bounds = {left + bound for bound in word_bounds(body[left:right])}
        if place not in bounds or place + len(metric.subject) not in bounds:
            bad.append(f"{metric.text}: {metric.subject} in {body[left:right]}")
    return bad


def test_no_subject_of_the_demo_corpus_cuts_a_word() -> None:
    bad = [f"{article.id}: {item}" for article in demo_articles() for item in cut_words(article.body)]
    assert not bad, bad


def test_no_subject_of_the_demo_portal_pages_as_served_cuts_a_word() -> None:
    """The same articles through the whole extraction: templates, GBK pages and their damaged copies."""
    bad = []
    for page, extraction in portal_extractions():
        if isinstance(extraction, Extraction):
            bad += [f"{page.path}: {item}" for item in cut_words(extraction.body)]
    assert not bad, bad


def test_no_subject_of_the_seed_article_cuts_a_word() -> None:
    if not (SEED / "aid-article.txt").exists():
        pytest.skip("the shared seed (../shared/seed) is not beside the repository")
    assert not cut_words(seed_body())


def test_no_subject_of_the_real_pages_cuts_a_word() -> None:
    extractions = real_extractions()
    if not extractions:
        pytest.skip(f"the shared corpus ({PAGES}) is not beside the repository")
    bad = []
    for name, extraction in extractions.items():
        if isinstance(extraction, Extraction):
            bad += [f"{name}: {item}" for item in cut_words(extraction.body)]
    assert not bad, bad


@pytest.mark.parametrize(
    ("sentence", "subject"),
    [
        ("完成供排水管网改造等民生项目12个。", "民生项目"),  # the head after 等, not 网改造等民生项目
        ("人均可支配收入提高2.5个百分点。", "人均可支配收入"),  # no trailing verb
        ("鲜菇每斤能卖到6元左右。", "鲜菇"),
        ("选派18名医生赴当地支援。", "医生"),
        ("小区已带动周边4个村的237户农牧民入股。", "村"),
        ("累计投入援疆资金420余万元。", "援疆资金"),
        ("5G手机的续航仅有4G手机的三分之一。", "手机"),  # not G手机的: a code is no part of the subject
    ],
)
def test_subjects_are_whole_noun_phrases(sentence: str, subject: str) -> None:
    assert extract_metrics(sentence)[0].subject == subject


@pytest.mark.parametrize(
    ("sentence", "subject"),
    [
        ("马铃薯产业园总投□2000万元。", None),  # the character before the figure is unknown: no subject is sure
        ("建成□□大棚30座。", "大棚"),  # the words after the last placeholder stand
        ("投入援疆资金□20万元。", None),
    ],
)
def test_a_subject_never_holds_a_placeholder(sentence: str, subject: str | None) -> None:
    from etl.metrics import extract_metrics

    assert [m.subject for m in extract_metrics(sentence)] == [subject]
