"""What a new extraction changed in an article's figures, for ``aidnews etl --reprocess`` to report.

Figures are paired by their mention: the n-th ``2.3亿元`` of the old list with the n-th of the new one, so a
repair that shifts the text does not count as a change. A pair whose value, unit, category or money kind
differs is counted once under each field that changed; a mention found only once is added or removed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Protocol


class Figure(Protocol):
    """What is compared: the fields an extracted ``Metric`` and a stored metric row share."""

    text: str
    start: int
    value: Decimal
    unit: str
    category: str
    money_kind: str | None


COMPARED = ("value", "unit", "category", "money_kind")
COUNT_NAMES = {
    "value": "metric_values_changed",
    "unit": "metric_units_changed",
    "category": "metric_categories_changed",
    "money_kind": "metric_kinds_changed",
}


def _by_mention(figures: Iterable[Figure]) -> dict[tuple[str, int], Figure]:
    seen: Counter[str] = Counter()
    paired: dict[tuple[str, int], Figure] = {}
    for figure in sorted(figures, key=lambda figure: figure.start):
        paired[(figure.text, seen[figure.text])] = figure
        seen[figure.text] += 1
    return paired


def metric_changes(old: Iterable[Figure], new: Iterable[Figure]) -> Counter[str]:
    """Counts of added and removed figures and of changed values, units, categories and money kinds."""
    before, after = _by_mention(old), _by_mention(new)
    changes: Counter[str] = Counter()
    changes["metrics_added"] = len(after.keys() - before.keys())
    changes["metrics_removed"] = len(before.keys() - after.keys())
    for key in before.keys() & after.keys():
        for field in COMPARED:
            if getattr(before[key], field) != getattr(after[key], field):
                changes[COUNT_NAMES[field]] += 1
    return +changes


def changes_per_article(old_rows: Iterable[tuple[int, Figure]], new: Mapping[int, Iterable[Figure]]) -> Counter[str]:
    """``metric_changes`` summed over articles: ``old_rows`` are (article id, stored figure) pairs."""
    stored: dict[int, list[Figure]] = defaultdict(list)
    for article_id, figure in old_rows:
        stored[article_id].append(figure)
    total: Counter[str] = Counter()
    for article_id, figures in new.items():
        total.update(metric_changes(stored.get(article_id, []), figures))
    return total
