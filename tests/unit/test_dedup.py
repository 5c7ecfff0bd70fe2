"""SimHash near-duplicates, and the threshold measured on the test portal's known syndicated copies."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from itertools import combinations

import pytest
from corpora import PORTAL_BASE, portal_extractions

from crawler.demo import ground_truth
from etl.dedup import DuplicateIndex, distance, features, filed, simhash
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


def _brute_group(index: DuplicateIndex, article_id: int) -> list[int]:
    """The group by definition: the same content hash, or a SimHash within the distance of this article's."""
    content_hash, sim, _, _ = index.entries[article_id]
    members = {
        other
        for other, (other_hash, other_sim, _, _) in index.entries.items()
        if other_hash == content_hash
        or (sim is not None and other_sim is not None and distance(other_sim, sim) <= index.max_distance)
    }
    return sorted(members | {article_id}, key=lambda m: index.entries[m][2])


@pytest.mark.parametrize("max_distance", [0, 1, 3, 7, NEAR_DUPLICATE_DISTANCE])
def test_the_banded_lookup_finds_exactly_the_copies_a_comparison_with_every_article_finds(max_distance: int) -> None:
    """Near copies planted at every distance up to two past the threshold, signed hashes (the BIGINT column),
    missing hashes and shared content hashes: the lookup through the hash's blocks finds the same groups."""
    rng = random.Random(max_distance)
    index = DuplicateIndex(max_distance)
    next_id = 1
    for _ in range(150):
        base = rng.getrandbits(64)
        for flips in range(max_distance + 3):
            value = base
            for bit in rng.sample(range(64), flips):
                value ^= 1 << bit
            signed = value - (1 << 64) if value >= 1 << 63 else value
            sim = None if rng.random() < 0.05 else signed
            content_hash = f"h{rng.randrange(400)}"
            index.add(next_id, content_hash, sim, (rng.random(), next_id))
            next_id += 1
    for article_id in index.entries:
        assert index.group(article_id) == _brute_group(index, article_id)


def test_replacing_an_entry_moves_it_out_of_its_old_blocks() -> None:
    index = DuplicateIndex(max_distance=3)
    index.add(1, "a", 0, (1, 1))
    index.add(2, "b", 1, (2, 2))
    assert index.group(2) == [1, 2]
    index.add(1, "c", -1, (1, 1))  # a new version of article 1: far from 2, and another content hash
    assert index.group(2) == [2] and index.group(1) == [1]
    assert all(1 not in filed(band, 0) for band in index._by_band)  # its old hash's blocks no longer file it
    assert 1 in filed(index.by_hash, "c") and not list(filed(index.by_hash, "a"))


def _state(index: DuplicateIndex) -> tuple:
    """Everything the index holds, in an order that does not depend on the order of the changes."""
    lookups = [index.by_hash, *index._by_band]
    return sorted((k, tuple(v)) for k, v in index.entries.items()), [
        sorted((k, sorted(filed(lookup, k))) for k in lookup) for lookup in lookups
    ]


def test_a_failed_batch_leaves_the_index_as_it_was_and_a_committed_one_keeps_its_changes() -> None:
    index = DuplicateIndex(max_distance=3)
    for n in range(1, 6):
        index.add(n, f"h{n}", n * 1000003, (n, n))
    index.set_duplicate_of(5, 4)
    before = _state(index)
    with pytest.raises(RuntimeError), index.undone_on_error():
        index.add(6, "h1", 1000003, (0, 6))  # a new copy of 1, published earlier
        index.add(2, "h9", -5, (2, 2))  # a new version of 2
        index.add(2, "h8", -6, (2, 2))  # and another
        index.set_duplicate_of(1, 6)
        index.set_duplicate_of(5, None)
        raise RuntimeError("the transaction rolled back")
    assert _state(index) == before
    with index.undone_on_error():
        index.add(6, "h1", 1000003, (0, 6))
        index.set_duplicate_of(1, 6)
    assert index.group(1) == [6, 1] and index.duplicate_of(1) == 6
