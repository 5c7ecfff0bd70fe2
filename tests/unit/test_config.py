"""sources.toml: what a valid source is, and errors that name the source and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.sources import DEFAULT_KEYWORDS, ConfigError, load_sources, parse_sources

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "name": "hq",
    "start_urls": ["https://aid.example.gov.cn/news/list.html"],
    "article_patterns": [r"/content/\d+\.html$"],
}


def parse(**changes: object) -> object:
    return parse_sources({"source": [dict(GOOD, **changes)]}, "test.toml")


def test_a_minimal_source_gets_the_defaults() -> None:
    source = parse_sources({"source": [GOOD]}).sources[0]
    assert source.allowed_domains == ("aid.example.gov.cn",)
    assert source.keywords == DEFAULT_KEYWORDS and "援疆" in source.keywords and "幫扶" in source.keywords
    assert source.enabled and not source.local
    assert source.is_article("https://aid.example.gov.cn/content/12.html")
    assert not source.is_article("https://aid.example.gov.cn/news/list.html")


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"colour": "red"}, "colour"),
        ({"article_patterns": ["(unclosed"]}, "article_patterns"),
        ({"list_patterns": ["[a-"]}, "list_patterns"),
        ({"schedule": "every day"}, "schedule"),
        ({"schedule": "61 * * * *"}, "schedule"),
        ({"start_urls": []}, "start_urls"),
        ({"start_urls": ["ftp://x.cn/list"]}, "start_urls"),
        ({"max_depth": "deep"}, "max_depth"),
        ({"article_patterns": []}, "article_patterns"),
        ({"body_selector": "div[class="}, "body_selector"),
    ],
)
def test_bad_config_names_the_source_and_the_key(changes: dict, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(**changes)
    assert "'hq'" in str(info.value) and f"'{key}'" in str(info.value)


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ConfigError, match="used twice"):
        parse_sources({"source": [GOOD, GOOD]})


def test_unknown_settings_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="'speed'"):
        parse_sources({"source": [GOOD], "settings": {"speed": 3}})


def test_the_shipped_sources_file_is_valid() -> None:
    config = load_sources(ROOT / "sources.toml")
    assert len(config.sources) >= 4
    assert all(not s.local for s in config.sources)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such sources file"):
        load_sources(tmp_path / "nope.toml")


def test_invalid_toml_says_so(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[[source]\nname=", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_sources(path)


SOURCE_KEYS = [
    "name",
    "start_urls",
    "allowed_domains",
    "article_patterns",
    "list_patterns",
    "sitemaps",
    "feeds",
    "keywords",
    "max_depth",
    "schedule",
    "enabled",
    "body_selector",
    "local",
    "max_list_pages",
    "stop_after_known_pages",
    "revisit_days",
    "revisit_every",
    "revisit_old_every",
    "revisit_max",
]
SETTINGS_KEYS = [
    "timezone",
    "etl_interval_minutes",
    "crawl_time_limit_minutes",
    "user_agent_contact",
    "page_retention_days",
    "maintenance_schedule",
    "crawl_workers",
    "redis_url",
    "run_retention_days",
    "failed_run_retention_days",
    "max_list_pages",
    "stop_after_known_pages",
    "revisit_days",
    "revisit_every",
    "revisit_old_every",
    "revisit_max",
]


def test_the_key_lists_here_are_the_config_classes_fields() -> None:
    from dataclasses import fields

    from etl.sources import Settings, SourceConfig

    assert [f.name for f in fields(SourceConfig)] == SOURCE_KEYS
    assert [f.name for f in fields(Settings)] == SETTINGS_KEYS


@pytest.mark.parametrize("key", SOURCE_KEYS)
def test_every_source_key_is_type_checked(key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(**{key: {"a": 1}})  # a table is the wrong type for every key
    assert any(p.key == key for p in info.value.problems), str(info.value)


@pytest.mark.parametrize("key", SETTINGS_KEYS)
def test_every_settings_key_is_type_checked(key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_sources({"source": [GOOD], "settings": {key: {"a": 1}}}, "test.toml")
    (problem,) = info.value.problems
    assert problem.key == key and problem.table == "[settings]" and problem.where == "test.toml"
    assert str(problem).startswith(f"test.toml [settings]: key '{key}' ")


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("etl_interval_minutes", "x", "whole number"),
        ("etl_interval_minutes", 0, "1 or more"),
        ("etl_interval_minutes", 1.5, "whole number"),
        ("etl_interval_minutes", True, "whole number"),
        ("page_retention_days", -5, "1 or more"),
        ("crawl_time_limit_minutes", 0, "1 or more"),
        ("crawl_workers", 0, "1 or more"),
        ("timezone", "Mars/Olympus", "time zone"),
        ("maintenance_schedule", "every night", "cron"),
        ("redis_url", "http://127.0.0.1:6379", "redis://"),
        ("user_agent_contact", 5, "string"),
    ],
)
def test_settings_values_are_checked_for_range_and_syntax(key: str, value: object, says: str) -> None:
    with pytest.raises(ConfigError, match=f"\\[settings\\]: key '{key}' .*{says}"):
        parse_sources({"source": [GOOD], "settings": {key: value}}, "test.toml")


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"enabled": "yes"}, "enabled"),
        ({"local": 1}, "local"),
        ({"max_depth": -1}, "max_depth"),
        ({"max_depth": 2.5}, "max_depth"),
        ({"keywords": ["援疆", 3]}, "keywords"),
        ({"allowed_domains": ["https://aid.example.gov.cn/"]}, "allowed_domains"),
        ({"name": "has space"}, "name"),
        ({"sitemaps": ["/sitemap.xml"]}, "sitemaps"),
    ],
)
def test_source_values_are_checked_for_type_and_syntax(changes: dict, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(**changes)
    assert [p.key for p in info.value.problems] == [key]


def test_every_problem_is_reported_at_once_with_file_table_and_key() -> None:
    data = {
        "settings": {"etl_interval_minutes": "x", "page_retention_days": -5},
        "source": [
            dict(GOOD, max_depth="deep", schedule="61 * * * *"),
            {"start_urls": ["https://a.cn/list.html"]},  # no name, no article_patterns
            dict(GOOD, name="hq"),
        ],
    }
    with pytest.raises(ConfigError) as info:
        parse_sources(data, "mine.toml")
    lines = str(info.value).splitlines()
    assert len(lines) == len(info.value.problems) == 7, lines
    assert "mine.toml [[source]] #1 'hq': key 'max_depth' must be a whole number, not 'deep'" in lines
    assert any(line.startswith("mine.toml [[source]] #1 'hq': key 'schedule' ") for line in lines)
    assert "mine.toml [[source]] #2: key 'name' is missing: every source needs a short, unique slug" in lines
    assert any(line.startswith("mine.toml [[source]] #2: key 'article_patterns' is missing") for line in lines)
    assert "mine.toml [[source]] #3 'hq': key 'name' is used twice (first by [[source]] #1)" in lines
    assert "mine.toml [settings]: key 'etl_interval_minutes' must be a whole number, not 'x'" in lines
    assert "mine.toml [settings]: key 'page_retention_days' must be 1 or more, not -5" in lines
