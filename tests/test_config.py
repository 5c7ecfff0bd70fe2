"""sources.toml: what a valid source is, and errors that name the source and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.sources import DEFAULT_KEYWORDS, ConfigError, load_sources, parse_sources

ROOT = Path(__file__).resolve().parents[1]
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
