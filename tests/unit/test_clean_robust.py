"""The cleaner never crashes: any text ends as a Cleaned or a CleanError, in time proportional to its length.

A sample of each property (tests/tagsoup.py): 25 generated examples per test and two tags and attributes of the
deep and huge pages. tests/reliability/test_clean_robust_full.py runs the full counts in every `make test`.
"""

from __future__ import annotations

import pytest
from tagsoup import check, huge_attribute_page, nested_page, property_tests, reference_cost

from etl.html import clean

EXAMPLES = 25  # of the 150 per property in the reliability layer: about 0.2 s of CPU each instead of 1-2 s

globals().update(property_tests(EXAMPLES))


@pytest.fixture(scope="module")
def per_character() -> float:
    return reference_cost()


@pytest.mark.parametrize("tag", ["p", "td"])
def test_ten_thousand_levels_of_nesting(tag: str, per_character: float) -> None:
    page = nested_page(tag)
    check(page, per_character)
    check(page[: len(page) // 2], per_character)  # never closed


def test_deep_nesting_keeps_the_text() -> None:
    page = "<div>" * 10_000 + "<p>援疆项目建设顺利推进，群众得到实惠，就业岗位不断增加。</p>" + "</div>" * 10_000
    assert clean(page).paragraphs == ["援疆项目建设顺利推进，群众得到实惠，就业岗位不断增加。"]


@pytest.mark.parametrize("attribute", ["id", "href"])
def test_huge_attribute_values(attribute: str, per_character: float) -> None:
    check(huge_attribute_page(attribute), per_character, url="http://example.cn/")


@pytest.mark.parametrize("text", ["", " ", "\x00", "\ud800", "<", "<!--", "<![CDATA[", "&#0;&#xd800;", "<?xml?>"])
def test_degenerate_inputs(text: str, per_character: float) -> None:
    check(text, per_character)
