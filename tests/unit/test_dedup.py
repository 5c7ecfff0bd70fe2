"""SimHash near-duplicates, and the threshold measured on the test portal's known syndicated copies."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import combinations

from corpora import PORTAL_BASE, portal_extractions

from crawler.demo import ground_truth
from etl.dedup import DuplicateIndex, distance, features, simhash
from etl.extract import Extraction
from etl.store.articles import NEAR_DUPLICATE_DISTANCE


def test_features_are_character_shingles_without_punctuation() -> None:
    assert features("援疆，资金。") == {"援疆资", "疆资金"}
    assert features("") == set()


def test_simhash_is_the_same_in_every_process_and_signed_64_bit() -> None:
    """Stored hashes are compared with ones computed later by other processes: no per-process salt may enter."""
    text = "今年以来，援疆前方指挥部累计投入援疆资金3200万元，实施民生项目18个。"
    script = f"from etl.dedup import simhash; print(simhash({text!r}))"
    other = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert int(other.stdout) == simhash(text)
    assert -(2**63) <= simhash(text) < 2**63
    assert distance(simhash(text), simhash(text + "（来源：伊犁日报）")) < NEAR_DUPLICATE_DISTANCE


def test_the_threshold_separates_the_portals_syndicated_copies_from_other_articles() -> None:
    truth = {t["url"]: t for t in ground_truth(PORTAL_BASE)}
    hashed = []
    for page, extraction in portal_extractions():
        assert isinstance(extraction, Extraction), (page.path, extraction)
        hashed.append((truth[PORTAL_BASE + page.path]["id"], extraction.simhash))
    copies = [distance(a, b) for (ia, a), (ib, b) in combinations(hashed, 2) if ia == ib]
    others = [distance(a, b) for (ia, a), (ib, b) in combinations(hashed, 2) if ia != ib]
    assert len(copies) >= 10  # the portal re-publishes hq and county articles, damaged
    assert max(copies) <= NEAR_DUPLICATE_DISTANCE < min(others)


def test_the_index_groups_copies_with_the_earliest_first() -> None:
    index = DuplicateIndex(max_distance=3)
    index.add(1, "h1", 0b1111, (2, 1))
    index.add(2, "h2", 0b1110, (1, 2))  # one bit away, published earlier
    index.add(3, "h3", 0b110000000000, (0, 3))  # far away
    index.add(4, "h1", None, (3, 4))  # exact copy of 1 by content hash
    assert index.group(1) == [2, 1, 4]
    assert index.group(3) == [3]
