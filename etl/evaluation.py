"""Scoring extractions against labelled truth, shared by the tests and the benchmarks; the product never calls it.

Metrics: an extracted figure matches a labelled one when value and unit agree and the mention overlaps the
label's place in the body (``docs/metrics.md``, "Gold"); precision, recall and category accuracy follow.
Bodies: the F1 of character bigrams between an extracted body and the true one, after both are made
comparable (NFKC, no whitespace, no punctuation or symbols), which is blind to how paragraphs are split.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from etl.metrics import Metric

CHINESE_DIGITS = set("零〇一二两三四五六七八九十百千万亿")


def locate(gold_text: str, body: str, occurrence: int | None = None, start: int = 0) -> int:
    """Offset of ``gold_text`` in ``body``, or -1.

    With ``occurrence`` (0-based, counting every appearance, as the demo corpus writes it) the appearance it
    names; without, the first appearance at or after ``start`` that is not inside a longer number (``3个`` is
    not found in ``173个``, ``千余名`` not in ``三千余名``).
    """
    index = body.find(gold_text, start)
    if occurrence is not None:
        for _ in range(occurrence):
            index = body.find(gold_text, index + 1) if index >= 0 else -1
        return index
    while index >= 0:
        before = body[max(0, index - 2) : index]
        inside = (
            gold_text[:1].isdigit()
            and before[-1:].isdigit()
            or before[-1:] in (".", ",", "，", "．")
            and before[:1].isdigit()
            or gold_text[-1:].isdigit()
            and body[index + len(gold_text) :][:1].isdigit()
            or gold_text[:1] in CHINESE_DIGITS
            and before[-1:] in CHINESE_DIGITS
        )
        if not inside:
            return index
        index = body.find(gold_text, index + 1)
    return -1


def _same_value(found: Decimal | float, wanted: Decimal | float | str) -> bool:
    """Relative difference under 1e-6; a value read from JSON may be a number or its decimal text."""
    left, right = float(found), float(wanted)
    scale = max(abs(left), abs(right))
    return scale == 0 or abs(left - right) / scale < 1e-6


def score(extracted: Sequence[Metric], gold: Sequence[dict], body: str) -> dict:
    """Precision, recall and category accuracy of ``extracted`` against ``gold`` items (docs/metrics.md).

    A gold item is ``{"text", "value", "unit", "category", "optional"?, "occurrence"?}``. An extracted metric
    matches one when the values differ by less than 1e-6 relatively, the units are equal and the mention
    overlaps the gold text's place in ``body``. Matches to optional items neither reward nor punish. A text
    listed again without an occurrence is looked for after its previous place (labels in reading order).
    """
    used: set[int] = set()
    matched: list[tuple[dict, Metric]] = []
    missed: list[dict] = []
    places: dict[int, int] = {}
    last: dict[str, int] = {}
    for number, item in enumerate(gold):
        text = item["text"]
        occurrence = item.get("occurrence")
        places[number] = locate(text, body, occurrence, 0 if occurrence is not None else last.get(text, -1) + 1)
        if places[number] >= 0:
            last[text] = places[number]
    ordered = sorted(range(len(gold)), key=lambda number: bool(gold[number].get("optional")))
    for number in ordered:
        item = gold[number]
        begin = places[number]
        finish = begin + len(item["text"])
        hit = None
        if begin >= 0:
            for index, metric in enumerate(extracted):
                if index in used or metric.unit != item["unit"] or not _same_value(metric.value, item["value"]):
                    continue
                if metric.start < finish and begin < metric.end:
                    hit = index
                    break
        if hit is None:
            if not item.get("optional"):
                missed.append(item)
            continue
        used.add(hit)
        if not item.get("optional"):
            matched.append((item, extracted[hit]))
    optional_hits = len(used) - len(matched)
    false_positives = [metric for index, metric in enumerate(extracted) if index not in used]
    true_positives = len(matched)
    category_right = sum(1 for item, metric in matched if item.get("category") == metric.category)
    found = true_positives + len(false_positives)
    wanted = true_positives + len(missed)
    return {
        "precision": true_positives / found if found else 1.0,
        "recall": true_positives / wanted if wanted else 1.0,
        "category_accuracy": category_right / true_positives if true_positives else 1.0,
        "true_positives": true_positives,
        "false_positives": len(false_positives),
        "false_negatives": len(missed),
        "category_right": category_right,
        "optional_matched": optional_hits,
        "extra": false_positives,
        "missed": missed,
        "wrong_category": [(item, metric) for item, metric in matched if item.get("category") != metric.category],
        "matched": matched,
    }


def micro_average(scores: Sequence[dict]) -> dict:
    """Pool the counts of several ``score`` results (micro average)."""
    tp = sum(result["true_positives"] for result in scores)
    fp = sum(result["false_positives"] for result in scores)
    fn = sum(result["false_negatives"] for result in scores)
    right = sum(result["category_right"] for result in scores)
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "category_accuracy": right / tp if tp else 1.0,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "category_right": right,
    }


def comparable(text: str) -> str:
    """``text`` in NFKC without whitespace, punctuation and symbols (normalise it first where it may be garbled
    or Traditional)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith(("P", "S")))


def bigram_f1(found: str, truth: str) -> float:
    """F1 of the character bigrams of two bodies once made ``comparable``; two empty bodies agree fully."""
    a, b = comparable(found), comparable(truth)
    grams_a = Counter(a[i : i + 2] for i in range(len(a) - 1))
    grams_b = Counter(b[i : i + 2] for i in range(len(b) - 1))
    if not grams_a or not grams_b:
        return 1.0 if not grams_a and not grams_b else 0.0
    common = sum((grams_a & grams_b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(grams_a.values()), common / sum(grams_b.values())
    return 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------------------------------------------------
# Page metadata against hand labels (tests/labels/gne-pages/README.md): a field is right when the extracted
# value equals the label or one of its `<field>_alt` values, compared without whitespace.

PAGE_FIELDS = ("title", "published_day", "authors", "editor", "source", "body_first", "body_last")
_SPACE = str.maketrans("", "", " \t\r\n\u3000\u00a0\u2002\u2003\u2009\u200b")


def _bare(text: str | None) -> str:
    return (text or "").translate(_SPACE)


def _accepted(label: dict, field: str) -> list:
    return [label.get(field), *label.get(f"{field}_alt", [])]


def _names(value: str | None) -> frozenset[str]:
    parts = (value or "").replace("，", " ").replace(",", " ").replace("、", " ").replace("/", " ").split()
    return frozenset(_bare(part) for part in parts if _bare(part))


def score_page(found: dict, label: dict) -> dict[str, bool]:
    """Which metadata fields of one extraction (`aidnews extract`'s record) agree with a page's labels."""
    body = _bare(found.get("body"))
    day = (found.get("published_at") or "")[:10] or None
    firsts = [_bare(text) for text in _accepted(label, "body_first") if text]
    lasts = [_bare(text) for text in _accepted(label, "body_last") if text]
    return {
        "title": _bare(found.get("title")) in {_bare(t) for t in _accepted(label, "title") if t is not None},
        "published_day": day in {(p or "")[:10] or None for p in _accepted(label, "published")},
        "authors": _names(found.get("author"))
        in {frozenset(_bare(n) for n in names or []) for names in _accepted(label, "authors")},
        "editor": _bare(found.get("editor")) in {_bare(e) for e in _accepted(label, "editor")},
        "source": _bare(found.get("source")) in {_bare(s) for s in _accepted(label, "source")},
        "body_first": any(body.startswith(text) for text in firsts),
        "body_last": any(body.endswith(text) for text in lasts),
    }


def field_accuracy(scores: Sequence[dict[str, bool]]) -> dict[str, float]:
    """Share of pages right per field."""
    return {name: sum(s[name] for s in scores) / len(scores) for name in PAGE_FIELDS} if scores else {}
