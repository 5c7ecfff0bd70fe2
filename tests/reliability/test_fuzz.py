"""A sample of the fuzz campaign in every test run: generated and damaged pages never crash or hang the extractor.

The sample is AIDNEWS_FUZZ_CASES cases (2,000 by default); bench/fuzz.py runs the 100,000-case campaign.
"""

from __future__ import annotations

import os

from fuzzing import FuzzPage, check_page, pages
from hypothesis import HealthCheck, given, settings

CASES = int(os.environ.get("AIDNEWS_FUZZ_CASES", "2000"))


@settings(max_examples=CASES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(pages())
def test_no_page_crashes_or_hangs_the_extractor(page: FuzzPage) -> None:
    assert check_page(page) in ("article", "no article")
