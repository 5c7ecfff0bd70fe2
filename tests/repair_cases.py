"""Simulated out-of-step GBK damage of text whose truth is known, and the tally of what the repair made of it.

Shared by tests/unit/test_repair_precision.py (a sample of the shared corpus' runs, with every other
measurement) and tests/integration/test_repair_corpus.py (the full 2,500-run sample of the corpus): the
precision rule of docs/text.md §5 is that no Han character of a body is a silent guess.
"""

from __future__ import annotations

import difflib
import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from corpora import real_extractions
from shared import CORPUS

from crawler.demo.damage import GarbledRun, candidate_runs, render_paragraph
from etl.extract import Extraction
from etl.text.chars import is_han
from etl.text.gbk import PLACEHOLDER, gbk_code
from etl.text.normalise import normalise

# (first character lost to '?', run converted to Traditional after it was garbled): the portal's four shapes
SHAPES = ((False, False), (True, False), (False, True), (True, True))
MIN_SENTENCE_HAN = 10
CORPUS_DRAW = 2500  # simulated runs drawn from the corpus bodies (about 22,000 exist; all measured once)
MIN_LINE_HAN = 20


@dataclass
class Tally:
    """What one measurement found."""

    cases: int = 0
    wrong: int = 0  # Han characters of the output that are neither the truth nor a placeholder
    cases_wrong: int = 0
    damaged: int = 0  # characters of the truth inside the simulated or planted runs
    restored: int = 0  # ... of which the output holds exactly, in place
    placeholders: int = 0
    examples: list[str] | None = None

    def add(self, truth: str, text: str, runs: list[tuple[int, int]], also_right: str | None = None) -> None:
        wrong, kept = _compare(truth, text, also_right)
        self.cases += 1
        self.wrong += len(wrong)
        self.cases_wrong += bool(wrong)
        self.damaged += sum(end - start for start, end in runs)
        self.restored += sum(1 for start, end in runs for i in range(start, end) if i in kept)
        self.placeholders += text.count(PLACEHOLDER)
        if wrong and self.examples is not None and len(self.examples) < 10:
            around = slice(max(0, wrong[0] - 8), wrong[0] + 8)
            self.examples.append(f"{truth[around]} -> {text[around]}")

    def report(self, name: str) -> str:
        share = self.restored / self.damaged if self.damaged else 0.0
        return (
            f"{name}: {self.cases} cases, {self.wrong} wrong Han characters in {self.cases_wrong}; "
            f"{self.restored} of {self.damaged} damaged characters restored exactly ({share:.0%}), "
            f"{self.placeholders} placeholders"
        )


def _compare(truth: str, text: str, also_right: str | None) -> tuple[list[int], set[int]]:
    """Positions of Han characters of ``text`` aligned with no equal character of ``truth`` (nor of
    ``also_right``), and the positions of ``truth`` that ``text`` holds exactly."""
    aligned: set[int] = set()
    kept: set[int] = set()
    for reference, keep in ((truth, True), (also_right, False)):
        if reference is None:
            continue
        matcher = difflib.SequenceMatcher(None, reference, text, autojunk=False)
        for a, b, size in matcher.get_matching_blocks():
            aligned.update(range(b, b + size))
            if keep:
                kept.update(range(a, a + size))
    wrong = [i for i, char in enumerate(text) if is_han(char) and i not in aligned]
    return wrong, kept


def report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    with capsys.disabled():
        print("\n" + line)


def gbk_clean(text: str) -> bool:
    return "?" not in text and PLACEHOLDER not in text and all(c.isascii() or gbk_code(c) for c in text)


def simulated(paragraphs: list[str]) -> Iterator[tuple[int, GarbledRun]]:
    """Every run the portal's simulation could put into the paragraphs, in each of its four shapes."""
    for number, paragraph in enumerate(paragraphs):
        for start, garbled, end in candidate_runs(paragraph, []):
            for first_lost, converted in SHAPES:
                shown = "?" + garbled[1:] if first_lost else garbled
                yield (
                    number,
                    GarbledRun(
                        0, start + 1, end, paragraph[start + 1 : end], shown, paragraph[start], first_lost, converted
                    ),
                )


def measure(paragraphs: list[str], cases: list[tuple[int, GarbledRun]]) -> Tally:
    """Each case: the paragraph as the portal shows it with the one run, normalised, against the paragraph
    as the portal shows it undamaged, normalised (a character equal to the original paragraph's is right
    too: OpenCC's round trip changes a few, 想象 -> 想像, that the repair restores from the bytes)."""
    tally = Tally(examples=[])
    references: dict[int, str] = {}
    for number, run in cases:
        paragraph = paragraphs[number]
        if number not in references:
            references[number] = normalise(render_paragraph(paragraph, [])).text
        reference = references[number]
        text = normalise(render_paragraph(paragraph, [run])).text
        spans = [(run.start, run.end)] if len(reference) == len(paragraph) else []
        tally.add(reference, text, spans, also_right=paragraph)
    return tally


def corpus_lines() -> list[str]:
    """The shared corpus' article body lines (before normalising) that are clean GBK text of 20+ Han
    characters: text we did not write, to damage."""
    extractions = real_extractions()
    if not extractions:
        pytest.skip(f"the shared corpus pages are not beside this clone ({CORPUS})")
    lines: list[str] = []
    for extraction in extractions.values():
        if isinstance(extraction, Extraction):
            lines += [
                line.strip()
                for line in extraction.body_original.split("\n")
                if sum(map(is_han, line)) >= MIN_LINE_HAN and gbk_clean(line.strip())
            ]
    return lines


def check_corpus_damage(cases: int, capsys: pytest.CaptureFixture[str]) -> None:
    """The first `cases` of a seeded draw of CORPUS_DRAW runs from every run the simulation could put into the
    corpus' body lines (so a smaller sample is a part of the larger one): none may leave a wrong Han character,
    and at least 60 % of the damaged characters come back exactly."""
    lines = corpus_lines()
    every = list(simulated(lines))
    drawn = random.Random(11).sample(every, min(CORPUS_DRAW, len(every)))[:cases]
    tally = measure(lines, drawn)
    report(capsys, tally.report(f"corpus, {len(lines)} body lines, {len(drawn)} of {len(every)} simulated runs"))
    # Measured on all 21,900 runs: 0 wrong; 72,547 of 106,152 damaged characters restored exactly (68 %),
    # 194 runs whole (those that took an ASCII letter instead of losing a byte).
    assert len(lines) >= 500
    assert tally.wrong == 0, tally.examples
    assert tally.restored / tally.damaged >= 0.6
