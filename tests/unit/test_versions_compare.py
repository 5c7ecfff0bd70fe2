"""What a correction changed (etl.store.versions.compare) and when crawls are quiet (etl.health.quiet_warning)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from etl.health import CrawlYield, quiet_warning
from etl.store.versions import Version, compare

pytestmark = pytest.mark.unit


def figure(text: str, value: float, unit: str = "CNY", category: str = "funding", subject: str | None = None) -> dict:
    return {
        "text": text,
        "value": value,
        "value_max": None,
        "unit": unit,
        "qualifier": "exact",
        "category": category,
        "subject": subject,
    }


def version(title: str, body: str, *figures: dict, current: bool = False) -> Version:
    return Version(
        1,
        title,
        datetime(2024, 5, 6, tzinfo=UTC),
        body,
        tuple(figures),
        None,
        None if current else datetime(2024, 5, 7, tzinfo=UTC),
        None,
    )


def test_figures_are_changed_added_or_removed_and_the_body_diff_is_counted_in_characters() -> None:
    old = version(
        "援疆项目开工",
        "投入资金3200万元，带动就业1200人。",
        figure("3200万元", 3.2e7),
        figure("1200人", 1200, "person", "jobs"),
    )
    new = version(
        "援疆项目开工（更正）",
        "投入资金3500万元，新建厂房2万平方米。",
        figure("3500万元", 3.5e7),
        figure("2万平方米", 2e4, "m2", "construction"),
        current=True,
    )
    change = compare(old, new)
    assert change.title_changed and change.title_after == "援疆项目开工（更正）"
    assert [(c.before, c.after) for c in change.figures_changed] == [("3200万元", "3500万元")]
    assert change.figures_added == ("2万平方米",) and change.figures_removed == ("1200人",)
    assert change.body_added > 0 and change.body_removed > 0
    assert change.body_added + change.body_removed < len(old.body) + len(new.body)


def test_an_unchanged_version_compares_empty() -> None:
    same = version("标题", "正文3200万元。", figure("3200万元", 3.2e7))
    change = compare(same, same)
    assert not change.title_changed and change.body_added == change.body_removed == 0
    assert change.figures_added == change.figures_removed == change.figures_changed == ()


def yields(*new: int) -> list[CrawlYield]:
    """Crawls #1… with these yields, returned newest first as crawl_yields gives them."""
    return [CrawlYield(i, n, 1) for i, n in reversed(list(enumerate(new, start=1)))]


def test_the_quiet_warning_compares_with_crawls_after_the_first_full_one_and_names_them() -> None:
    assert quiet_warning(1, yields(500, 4, 6, 5, 0, 0, 0)) == (
        "nothing new in crawls #5, #6, #7, though crawls #2–#4 (after the first full crawl #1) yielded a median "
        "of 5 new pages"
    )


@pytest.mark.parametrize(
    "history", [(500, 0, 0, 0), (500, 0, 0, 0, 0, 0, 0), (500, 5, 6, 0, 0, 0), (500, 4, 6, 5, 0, 0, 1)]
)
def test_no_quiet_warning_without_enough_history_a_usual_yield_or_a_quiet_spell(history: tuple[int, ...]) -> None:
    assert quiet_warning(1, yields(*history)) is None
