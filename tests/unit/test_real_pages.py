"""The extractor on real portal pages: per-field accuracy against our hand labels (tests/labels/gne-pages/).

The pages live in the project's shared folder, beside the clone (../shared/corpus/gne-pages/); only the labels
ship with the repository. The floors sit a little under what the extractor reaches, so a regression fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpora import real_extractions
from shared import CORPUS

from etl.evaluation import PAGE_FIELDS, field_accuracy, score_page
from etl.extract import ExtractError, as_record

LABELS = Path(__file__).resolve().parents[1] / "labels" / "gne-pages"

# Share of the 62 labelled pages right per field, a little under what was measured when the floor was set:
# title 1.000, day 0.984, authors 0.919, editor 0.968, source 0.903, first sentence 0.823, last 0.855 (the body
# bounds rose from 0.806 and 0.839 when misnamed article wrappers were accepted: sina/4, other/1).
FLOORS = {
    "title": 0.98,
    "published_day": 0.96,
    "authors": 0.88,
    "editor": 0.93,
    "source": 0.87,
    "body_first": 0.79,
    "body_last": 0.82,
}


def _labels() -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(LABELS.glob("*.json"))]


@pytest.fixture(scope="module")
def results() -> list[tuple[dict, dict | None, str | None]]:
    if not CORPUS.is_dir():
        pytest.skip(
            f"the real pages are not beside this clone ({CORPUS}); they ship with the project's shared "
            "folder, not with the repository"
        )
    extractions = real_extractions()
    out: list[tuple[dict, dict | None, str | None]] = []
    for label in _labels():
        extraction = extractions[label["page"]]
        if isinstance(extraction, ExtractError):
            out.append((label, None, str(extraction)))
        else:
            out.append((label, as_record(extraction), None))
    return out


def test_every_page_of_the_corpus_is_labelled() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the real pages are not beside this clone ({CORPUS})")
    pages = {str(path.relative_to(CORPUS)) for path in CORPUS.rglob("*.html")}
    assert pages == {label["page"] for label in _labels()}


def test_no_real_article_is_refused(results: list[tuple[dict, dict | None, str | None]]) -> None:
    refused = [(label["page"], error) for label, _, error in results if error and label["is_article"]]
    assert not refused


def test_metadata_and_body_bounds_hold_their_floors(results: list[tuple[dict, dict | None, str | None]]) -> None:
    empty = dict.fromkeys(PAGE_FIELDS, False)
    scores = [score_page(record, label) if record else empty for label, record, _ in results if label["is_article"]]
    accuracy = field_accuracy(scores)
    print("\nreal pages:", len(scores), " ".join(f"{k}={v:.3f}" for k, v in accuracy.items()))
    undated = sum(1 for label, record, _ in results if label["is_article"] and not (record or {}).get("published_at"))
    print("pages with no date found:", undated)
    assert undated <= 1  # measured 0 of 62; readhub shows only 昨天 and is labelled undated
    assert {k: v for k, v in accuracy.items() if v < FLOORS[k]} == {}


def test_an_article_inside_a_wrapper_named_like_a_share_widget_is_read(
    results: list[tuple[dict, dict | None, str | None]],
) -> None:
    """sina/4 wraps its text in a share plugin's class, with a promotion box and 相关新闻 above the text.

    Before the fix the body was a 57-character promotion line from beside the wrapper; the article is about
    1,000 characters (first sentence as labelled, eleven paragraphs).
    """
    label, record, error = next(item for item in results if item[0]["page"] == "sina/4.html")
    assert error is None and record is not None
    assert score_page(record, label)["body_first"]
    assert len(record["body"]) >= 900
    assert label["body_last"].replace(" ", "") in record["body"].replace(" ", "")
