"""Extractions that several test modules read, made once per test run.

Extracting the demo portal's 75 article pages costs about 1.2 s of CPU, the shared corpus' 62 real pages about
as much; half a dozen modules (body bounds, subjects, repair precision, duplicates, figures on real pages) read
the same results, and paying for them in each module was a fifth of the unit layer's time. The results are
cached per process; tests only read them (an Extraction is a plain dataclass: do not change one in a test).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from shared import CORPUS

from crawler.demo import RenderedPage, render_articles
from etl.extract import ExtractError, Extraction, extract

# The portal's ground truth is written for a base URL; any base works for extraction, since the pages link
# relatively. Tests that look truths up by URL use this one.
PORTAL_BASE = "http://127.0.0.1:1"


@cache
def portal_extractions() -> tuple[tuple[RenderedPage, Extraction | ExtractError], ...]:
    """Every article page of the demo portal as served, with what `extract` made of it (or its refusal)."""
    out: list[tuple[RenderedPage, Extraction | ExtractError]] = []
    for page in render_articles():
        try:
            out.append((page, extract(page.body, PORTAL_BASE + page.path, page.content_type)))
        except ExtractError as exc:
            out.append((page, exc))
    return tuple(out)


@cache
def real_extractions() -> dict[str, Extraction | ExtractError]:
    """Every page of the shared corpus (path relative to it, e.g. 'site/page.html'): its extraction, or the
    refusal. Empty when the corpus is not beside the clone: callers skip with their own reason."""
    if not CORPUS.is_dir():
        return {}
    out: dict[str, Extraction | ExtractError] = {}
    for path in sorted(CORPUS.rglob("*.html")):
        out[str(path.relative_to(CORPUS))] = _extract_file(path)
    return out


def _extract_file(path: Path) -> Extraction | ExtractError:
    try:
        return extract(path.read_bytes())
    except ExtractError as exc:
        return exc
