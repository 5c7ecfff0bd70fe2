"""The pagination and revisit keys of sources.toml, their [settings] defaults, and times shown to the second."""

from __future__ import annotations

import re

import pytest

import scheduler
from aidnews.common import cell
from etl.sources import ConfigError, parse_sources

pytestmark = pytest.mark.unit

GOOD = {"name": "hq", "start_urls": ["https://aid.example.gov.cn/list.html"], "article_patterns": [r"/c_\d+\.html$"]}


def test_defaults_come_from_settings_and_a_source_overrides_them() -> None:
    config = parse_sources(
        {
            "settings": {"revisit_every": "12h", "max_list_pages": 50, "revisit_max": 10},
            "source": [dict(GOOD, revisit_every="30m"), dict(GOOD, name="county")],
        }
    )
    hq, county = config.sources
    assert (hq.revisit_every, hq.max_list_pages, hq.revisit_max) == ("30m", 50, 10)
    assert (county.revisit_every, county.max_list_pages) == ("12h", 50)
    assert county.revisit_young_seconds == 12 * 3600 and county.revisit_old_seconds is None
    plain = parse_sources({"source": [GOOD]}).sources[0]
    assert (plain.max_list_pages, plain.stop_after_known_pages, plain.revisit_days) == (500, 1, 7)


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("max_list_pages", 0, "1 or more"),
        ("stop_after_known_pages", -1, "0 or more"),
        ("revisit_days", 1.5, "whole number"),
        ("revisit_every", "6 hours", "duration"),
        ("revisit_old_every", 30, "string"),
        ("revisit_max", "all", "whole number"),
    ],
)
def test_bad_values_are_reported_for_a_source_and_for_settings(key: str, value: object, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_sources({"source": [dict(GOOD, **{key: value})], "settings": {key: value}}, "t.toml")
    lines = str(info.value).splitlines()
    assert any(line.startswith(f"t.toml [[source]] #1 'hq': key '{key}'") and says in line for line in lines), lines
    assert any(line.startswith(f"t.toml [settings]: key '{key}'") and says in line for line in lines), lines


@pytest.mark.parametrize(("key", "value"), [("run_retention_days", 0), ("failed_run_retention_days", "long")])
def test_run_retention_settings_are_checked(key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=f"key '{key}'"):
        parse_sources({"source": [GOOD], "settings": {key: value}})


def test_next_runs_and_table_times_keep_their_seconds() -> None:
    rows = scheduler.next_runs(scheduler.plan(parse_sources({"source": [dict(GOOD, schedule="7 */6 * * *")]})))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:07:00\+08:00", rows[0]["next_run"])
    assert cell("2024-05-01T12:07:09+08:00") == "2024-05-01 12:07:09"
    assert cell("2024-05-01T12:07+08:00") == "2024-05-01 12:07"
