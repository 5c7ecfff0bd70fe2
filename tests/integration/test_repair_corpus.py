"""The repair's precision on simulated damage of the shared corpus' article bodies, at full sample size.

2,500 of the ~22,000 runs the simulation could put into the corpus' body lines (about 10 s of CPU); the unit
layer measures 250 of the same draw (tests/unit/test_repair_precision.py), which keeps `make test-fast` fast.
"""

from __future__ import annotations

import pytest
from repair_cases import CORPUS_DRAW, check_corpus_damage


@pytest.mark.slow
def test_simulated_damage_of_corpus_bodies_leaves_no_wrong_character(capsys: pytest.CaptureFixture[str]) -> None:
    check_corpus_damage(CORPUS_DRAW, capsys)
