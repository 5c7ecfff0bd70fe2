"""The shipped sources.toml against the public evidence quoted beside each source.

Each address below is one a public artefact shows for that portal (see the comment above the source in
sources.toml). A pattern edited so that a real article or list page of the site no longer matches, or so
that a list page is taken for an article, fails here instead of silently crawling nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from etl.sources import SourceConfig, load_sources

ROOT = Path(__file__).resolve().parents[2]


class Evidence(NamedTuple):
    articles: tuple[str, ...]
    lists: tuple[str, ...] = ()


EVIDENCE: dict[str, Evidence] = {
    "xinjiang-gov-aid": Evidence(
        articles=(
            "https://www.xinjiang.gov.cn/xinjiang/bmdt/202310/2339a216530641b7adab3da6bd6bbe48.shtml",
            "http://www.xinjiang.gov.cn/xinjiang/dzdt/201912/09f5b8e1af3e4b269a1a9da446a95bc5.shtml",
        ),
    ),
    "tibet-cn-aid": Evidence(
        articles=("http://www.tibet.cn/cn/aid_tibet/news/201808/t20180829_6215689.html",),
        lists=("http://www.tibet.cn/cn/aid_tibet/news/index_1.html", "http://www.tibet.cn/cn/aid_tibet/rw/"),
    ),
    "ts-cn-aid": Evidence(
        articles=(
            "https://www.ts.cn/xwzx/jjxw/202311/t20231101_17036812.shtml",
            "https://www.ts.cn/xwzx/shxw/202409/t20240923_23975204.shtml",
            "http://news.ts.cn/system/2019/06/03/035719250.shtml",
        ),
    ),
    "qhnews-aid-qinghai": Evidence(
        articles=(
            "http://www.qhnews.com/newscenter/system/2019/06/18/012906665.shtml",
            "https://www.qhnews.com/newscenter/system/2026/06/04/030565046.shtml",
        ),
    ),
    "moa-east-west": Evidence(
        articles=(
            "https://www.moa.gov.cn/xw/bmdt/202206/t20220629_6403636.htm",
            "https://www.moa.gov.cn/xw/bmdt/202605/t20260520_6484332.htm",
        ),
    ),
    "people-xj-aid": Evidence(
        articles=("https://xj.people.com.cn/n2/2025/1002/c186332-41371557.html",),
        lists=("http://xj.people.com.cn/GB/219188/index.html", "http://xj.people.com.cn/GB/219188/index2.html"),
    ),
    "people-xz-aid": Evidence(
        articles=(
            "http://xz.people.com.cn/n2/2023/1107/c138901-40631747.html",
            "http://xz.people.com.cn/n2/2026/0525/c138901-41590336.html",
        ),
        lists=("http://xz.people.com.cn/GB/389276/index.html", "http://xz.people.com.cn/GB/389277/index.html"),
    ),
    "bingtuan-news": Evidence(
        articles=(
            "http://www.xjbt.gov.cn/c/2020-06-12/7358537.shtml",
            "https://www.xjbt.gov.cn/c/2025-09-16/8443122.shtml",
        ),
        lists=("http://www.xjbt.gov.cn/zcms/catalog/15205/pc/index_294.shtml",),
    ),
    "xizang-gov-news": Evidence(
        articles=(
            "http://www.xizang.gov.cn/xwzx_406/zwyw/202105/t20210518_202604.html",
            "https://www.xizang.gov.cn/xwzx_406/dsdt/202411/t20241120_448021.html",
            "https://www.xizang.gov.cn/xwzx_406/bmkx/202506/t20250611_483433.html",
        ),
        lists=("https://www.xizang.gov.cn/xwzx_406/zwyw/index.html",),
    ),
    "shanghai-hzjl-aid": Evidence(
        articles=("https://hzjl.sh.gov.cn/n1308/20250207/e9892da3af324a398bd570fc1bd089c4.html",),
    ),
    "zjol-yj-aid": Evidence(
        articles=("http://yj.zjol.com.cn/yjyw/201811/t20181109_8704224.shtml",),
    ),
}


def shipped() -> dict[str, SourceConfig]:
    return {s.name: s for s in load_sources(ROOT / "sources.toml").sources}


def test_every_shipped_source_has_evidence_here() -> None:
    assert set(shipped()) == set(EVIDENCE)


@pytest.mark.parametrize("name", sorted(EVIDENCE))
def test_quoted_articles_match_and_lists_do_not(name: str) -> None:
    source = shipped()[name]
    evidence = EVIDENCE[name]
    for url in evidence.articles:
        assert source.is_article(url), f"{name}: a quoted article no longer matches: {url}"
    for url in evidence.lists + source.start_urls:
        assert not source.is_article(url), f"{name}: a list page is taken for an article: {url}"
    for url in evidence.lists:
        assert source.is_list(url), f"{name}: a quoted list page is not followed: {url}"


def test_a_source_without_a_confirmed_start_url_ships_disabled() -> None:
    assert not shipped()["ts-cn-aid"].enabled
