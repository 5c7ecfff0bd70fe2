"""Categories and money kinds that hold on text the rules were not written on.

The figures of real pages from other publishers (general news: company results, police reports, a school, a
study) are labelled by hand in tests/labels/gne-figures/<site>__<stem>.jsonl; the pages themselves stay in
the shared corpus (../shared/corpus/gne-pages/), so they are extracted here, at test time, as the ETL would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpora import real_extractions
from shared import CORPUS as PAGES

from etl.evaluation import micro_average, score
from etl.extract import ExtractError, Extraction

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "tests" / "labels" / "gne-figures"
MIN_PAGES = 15
CATEGORY_BAR = 0.90
MONEY_KIND_BAR = 0.85


def labelled_pages() -> list[tuple[str, Extraction, list[dict]]]:
    """(name, extraction, labels) of every labelled page; two saves of one article (same labels) count once."""
    if not PAGES.is_dir():
        pytest.skip(f"the shared corpus ({PAGES}) is not beside the repository")
    files = sorted(LABELS.glob("*.jsonl"))
    if not files:
        pytest.skip(f"no figure labels in {LABELS}")
    pages, seen = [], []
    for path in files:
        labels = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if labels in seen:
            continue
        seen.append(labels)
        site, stem = path.stem.split("__", 1)
        extraction = real_extractions()[f"{site}/{stem}.html"]
        if isinstance(extraction, ExtractError):
            continue
        pages.append((path.stem, extraction, labels))
    return pages


@pytest.fixture(scope="module")
def results() -> list[tuple[str, dict]]:
    return [(name, score(x.metrics, labels, x.body)) for name, x, labels in labelled_pages()]


def test_enough_real_pages_are_labelled_and_matched(results: list[tuple[str, dict]]) -> None:
    assert len(results) >= MIN_PAGES
    pooled = micro_average([result for _, result in results])
    assert pooled["true_positives"] >= 150 and pooled["precision"] >= 0.90, pooled


def test_categories_hold_on_real_pages(results: list[tuple[str, dict]]) -> None:
    pooled = micro_average([result for _, result in results])
    wrong = [
        (name, item["text"], item["category"], metric.category)
        for name, result in results
        for item, metric in result["wrong_category"]
    ]
    assert pooled["category_accuracy"] >= CATEGORY_BAR, wrong


def test_money_kinds_hold_on_real_pages(results: list[tuple[str, dict]]) -> None:
    pairs = [
        (name, item, metric)
        for name, result in results
        for item, metric in result["matched"]
        if metric.unit == "CNY" and "money_kind" in item
    ]
    wrong = [
        (name, item["text"], item["money_kind"], metric.money_kind)
        for name, item, metric in pairs
        if item["money_kind"] != metric.money_kind
    ]
    assert len(pairs) >= 30
    assert 1 - len(wrong) / len(pairs) >= MONEY_KIND_BAR, wrong
