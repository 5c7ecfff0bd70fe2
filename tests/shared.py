"""Test material spelled once: the project's shared folder (the seed page, the real portal pages) and the demo
portal's article corpus.

The shared folder sits beside the clone (../shared/), not in the repository; tests that need it skip with the
reason where a user's clone has no such folder. A clone kept elsewhere (a git worktree, say) points at the folder
with AIDNEWS_SHARED=/path/to/shared. The demo corpus ships in the repository (crawler/demo/corpus/*.jsonl) and is
read here the way the portal reads it, so the tests score what it serves.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler.demo.corpus import CORPUS_DIR, LINE_FIELDS, Article, load_corpus
from etl.entities.topics import TOPICS
from etl.filters import CATEGORIES, UNITS_KNOWN
from etl.metrics.units import QUALIFIERS

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ["AIDNEWS_SHARED"]) if os.environ.get("AIDNEWS_SHARED") else REPO.parent / "shared"
SEED = SHARED / "seed"
CORPUS = SHARED / "corpus" / "gne-pages"
DEMO_CORPUS = CORPUS_DIR


@dataclass(frozen=True)
class Vocabularies:
    """What a corpus line may say: its keys (in the order written), its topics, and a gold metric's unit,
    qualifier and category."""

    line_fields: tuple[str, ...]
    topics: frozenset[str]
    units: frozenset[str]
    qualifiers: frozenset[str]
    categories: frozenset[str]


# Read from the product, so that the corpus is checked against what the extractor can answer.
AGREED = Vocabularies(
    line_fields=LINE_FIELDS,
    topics=frozenset(TOPICS),
    units=frozenset(UNITS_KNOWN),
    qualifiers=frozenset({"exact", *QUALIFIERS.values()}),
    categories=frozenset(CATEGORIES),
)


def demo_articles() -> tuple[Article, ...]:
    """The demo portal's articles, read by the portal's own loader (crawler.demo.corpus.load_corpus); skips the
    calling test when the corpus holds none."""
    articles = load_corpus()
    if not articles:
        pytest.skip(f"the demo portal's corpus ({DEMO_CORPUS}/*.jsonl) holds no article")
    return articles


def demo_corpus_lines(site: str) -> list[dict[str, Any]]:
    """Every line of one site's corpus file as written, for the tests that check the file itself: the portal's
    loader passes over a malformed line, and these tests must see it. Skips when the file is not there."""
    path = DEMO_CORPUS / f"{site}.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is not written yet")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
