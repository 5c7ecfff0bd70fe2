"""The cleaner's robustness properties (tests/tagsoup.py) at full size: 150 generated examples per property,
10,000 levels of every common tag, 2 MB values of every attribute the cleaner reads, a 640 KB flat page.

The unit layer runs a sample of the same properties (tests/unit/test_clean_robust.py).
"""

from __future__ import annotations

import pytest
from tagsoup import (
    HUGE_ATTRIBUTES,
    NESTING_TAGS,
    check,
    huge_attribute_page,
    nested_page,
    property_tests,
    reference_cost,
)

EXAMPLES = 150

globals().update(property_tests(EXAMPLES))


@pytest.fixture(scope="module")
def per_character() -> float:
    return reference_cost()


@pytest.mark.parametrize("tag", NESTING_TAGS)
def test_ten_thousand_levels_of_nesting(tag: str, per_character: float) -> None:
    page = nested_page(tag)
    check(page, per_character)
    check(page[: len(page) // 2], per_character)  # never closed


@pytest.mark.parametrize("attribute", HUGE_ATTRIBUTES)
def test_huge_attribute_values(attribute: str, per_character: float) -> None:
    check(huge_attribute_page(attribute), per_character, url="http://example.cn/")


def test_huge_flat_page(per_character: float) -> None:
    check("<html><body>" + "<p>援疆，项目。</p><a href='/x'>链接</a>" * 20_000 + "</body></html>", per_character)
