"""The revisit policy (crawler.revisit) and its durations (etl.config_check.duration_seconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.revisit import revisit_plan
from crawler.spiders.aid import KnownPage
from etl.config_check import duration_seconds
from etl.sources import parse_source

pytestmark = pytest.mark.unit

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def source(**keys: object):  # type: ignore[no-untyped-def]
    return parse_source({"name": "s", "start_urls": ["http://a.cn/l.html"], "article_patterns": ["c_"], **keys}, "t")


def page(
    published_days_ago: float | None, fetched_hours_ago: float, checked_hours_ago: float | None = None
) -> KnownPage:
    return KnownPage(
        '"e"',
        None,
        NOW - timedelta(hours=fetched_hours_ago),
        "sha",
        "s",
        None if published_days_ago is None else NOW - timedelta(days=published_days_ago),
        None if checked_hours_ago is None else NOW - timedelta(hours=checked_hours_ago),
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6h", 21600), ("30m", 1800), ("1d12h", 129600), ("90s", 90), ("2w", 1209600), ("never", None), ("", None)],
)
def test_durations(text: str, seconds: int | None) -> None:
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["6 hours", "6", "h", "0m", "-1h", "1.5h"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        duration_seconds(text)


def test_young_articles_are_due_once_their_interval_passed_and_old_ones_never_by_default() -> None:
    known = {
        "http://a.cn/c_1": page(2, 7),
        "http://a.cn/c_2": page(2, 3),
        "http://a.cn/c_3": page(30, 700),
        "http://a.cn/c_4": page(2, 30, checked_hours_ago=1),
        "http://a.cn/c_5": page(None, 30),
    }
    plan = revisit_plan(source(), known, NOW)
    # c_2 was fetched 3 h ago, c_4 checked 1 h ago (6 h apart); c_3 is old; c_5 has no article
    assert plan.urls == ("http://a.cn/c_1",) and plan.due == 1


def test_old_articles_follow_their_own_interval_after_the_young_ones() -> None:
    known = {"http://a.cn/old": page(30, 24 * 40), "http://a.cn/young": page(1, 7)}
    plan = revisit_plan(source(revisit_old_every="30d"), known, NOW)
    assert plan.urls == ("http://a.cn/young", "http://a.cn/old")


def test_the_cost_per_crawl_is_bounded_and_the_longest_unchecked_go_first() -> None:
    known = {f"http://a.cn/c_{h}": page(1, h) for h in range(7, 17)}
    plan = revisit_plan(source(revisit_max=3), known, NOW)
    assert plan.due == 10 and plan.urls == ("http://a.cn/c_16", "http://a.cn/c_15", "http://a.cn/c_14")


def test_never_switches_revisits_off() -> None:
    assert revisit_plan(source(revisit_every="never"), {"http://a.cn/c_1": page(1, 100)}, NOW).urls == ()
