"""Article extraction: aidnews's cleaner against trafilatura, GNE and readability-lxml, same pages, one run.

    .venv/bin/pip install -e '.[bench]'          # trafilatura, readability-lxml, gne (GPL-3.0, bench only)
    .venv/bin/python bench/bench_extract.py [--limit N] [--rounds 3]
    .venv/bin/python bench/bench_extract.py --pages ../shared/corpus/gne-pages

The pages are the demo portal's article pages (``crawler.demo.render_articles``), decoded once with
``etl.text.encoding.decode_html``; decoding is not timed. Every extractor gets the same decoded text.

``--pages DIR`` measures any folder of saved real pages instead (every ``*.html``/``*.htm`` under it), which
carry no ground truth: it prints pages/s in process as above, and then pages/s from outside, each extractor in
a fresh process that imports it and reads, decodes and extracts every file, process start-up included. For
aidnews that process is the command line, ``aidnews extract DIR`` (decode, clean, normalise, metrics, entities,
JSON out); the others decode with their own charset handling where they have one.

Scores, per extractor:
- body F1: character-bigram F1 between the extracted body and the true paragraphs, both normalised with
  ``etl.text.normalise.normalise`` (pinyin stripped, Traditional -> Simplified), then NFKC, with whitespace and
  punctuation removed; macro mean over pages (a page with no output scores 0);
- date: published date right to the day (Asia/Shanghai), share of pages;
- pages/s: pages divided by the summed CPU time of each page's fastest run over ``--rounds`` interleaved passes.
A bare BeautifulSoup(lxml) parse plus get_text gives the floor that any BeautifulSoup-based cleaner pays.
Ratios, not absolute times, are the point: the machine and its load change the absolute figures.

GNE is GPL-3.0: it is imported here, inside the benchmark, and never by the aidnews package.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.evaluation import bigram_f1, comparable  # noqa: E402
from etl.html import clean, find_date, make_key, read_meta_line  # noqa: E402
from etl.text.encoding import decode_html  # noqa: E402
from etl.text.normalise import normalise  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Page:
    url: str
    html: str
    body: str                 # the true body, paragraphs joined
    day: date | None          # the true publication day, Asia/Shanghai
    author: str | None
    editor: str | None
    title: str | None


@dataclass
class Extracted:
    body: str
    day: date | None


# --- scoring --------------------------------------------------------------------------------------------------


def day_of(value: object) -> date | None:
    if isinstance(value, datetime):
        return (value.astimezone(SHANGHAI) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        stamp = find_date(value)
        return day_of(stamp) if stamp else None
    return None


def same_names(found: str | None, truth: str | None) -> bool:
    """Names equal once normalised; t2s again on both sides, as normalise treats a 昇 in Hant and mixed text apart."""
    def names(value: str | None) -> list[str]:
        return make_key(normalise(value).text).text.split() if value else []

    return names(found) == names(truth)


# --- the extractors ---------------------------------------------------------------------------------------------

def cold_aidnews_caches() -> None:
    """Forget the label caches, so that every timed pass starts as a first pass over unseen pages would."""
    make_key.cache_clear()
    read_meta_line.cache_clear()


def run_aidnews(page: Page) -> Extracted:
    cleaned = clean(page.html, url=page.url)
    return Extracted(cleaned.body, day_of(cleaned.published_at))


def run_trafilatura(page: Page) -> Extracted:
    import trafilatura

    doc = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
    if doc is None:
        return Extracted("", None)
    return Extracted(doc.text or "", day_of(doc.date))


def run_gne(page: Page) -> Extracted:
    from gne import GeneralNewsExtractor

    result = GeneralNewsExtractor().extract(page.html)
    return Extracted(result.get("content") or "", day_of(result.get("publish_time")))


def run_readability(page: Page) -> Extracted:
    import lxml.html
    from readability import Document

    summary = Document(page.html).summary(html_partial=True)
    return Extracted(lxml.html.fromstring(summary).text_content() if summary.strip() else "", None)


def run_bs4_baseline(page: Page) -> Extracted:
    from bs4 import BeautifulSoup

    return Extracted(BeautifulSoup(page.html, "lxml").get_text(), None)


EXTRACTORS: dict[str, Callable[[Page], Extracted]] = {
    "aidnews": run_aidnews,
    "trafilatura": run_trafilatura,
    "gne": run_gne,
    "readability-lxml": run_readability,
    "bs4 parse+get_text": run_bs4_baseline,
}
SCORED = ("aidnews", "trafilatura", "gne", "readability-lxml")


# --- the run ----------------------------------------------------------------------------------------------------

def load_pages(limit: int | None) -> list[Page]:
    from crawler.demo import render_articles

    pages = []
    for rendered in render_articles():
        truth = rendered.truth
        if not truth or not truth.get("paragraphs"):
            continue
        decoded = decode_html(rendered.body, rendered.content_type)
        pages.append(Page(
            url=f"http://127.0.0.1:8000{rendered.path}",
            html=decoded.text,
            body="\n".join(truth["paragraphs"]),
            day=day_of(truth.get("published_at")),
            author=truth.get("author"),
            editor=truth.get("editor"),
            title=truth.get("title"),
        ))
        if limit and len(pages) >= limit:
            break
    return pages


def load_folder(folder: Path, limit: int | None) -> list[Page]:
    """Saved real pages: decoded as the ETL decodes them, no ground truth (body empty, no day)."""
    pages = []
    for file in sorted(p for p in folder.rglob("*") if p.suffix in (".html", ".htm") and p.is_file()):
        html = decode_html(file.read_bytes(), None).text
        pages.append(Page(url="", html=html, body="", day=None, author=None, editor=None, title=None))
        if limit and len(pages) >= limit:
            break
    return pages


def safe(extractor: Callable[[Page], Extracted], page: Page) -> Extracted:
    try:
        return extractor(page)
    except Exception:  # a crash on a page scores as empty output, like a missing article
        return Extracted("", None)


@dataclass
class Row:
    rate: float               # pages per CPU second, best pass
    f1: float | None
    dated: float | None


def measure(names: list[str], pages: list[Page], rounds: int) -> dict[str, Row]:
    """Every page through every extractor, `rounds` times; a page's time is its fastest run.

    The runs are interleaved (each round passes every extractor over every page) and timed in process CPU time,
    and the per-page minimum drops the runs that other work on a shared machine slowed down, so the ratios
    between extractors stay steady even when the absolute rates move.
    """
    for name in names:
        for page in pages[:3]:
            safe(EXTRACTORS[name], page)  # imports and caches outside the timing
    fastest = {name: [float("inf")] * len(pages) for name in names}
    results: dict[str, list[Extracted]] = {}
    for _ in range(rounds):
        for name in names:
            extractor = EXTRACTORS[name]
            if name == "aidnews":
                cold_aidnews_caches()
            gc.collect()  # the previous pass's cyclic garbage (BeautifulSoup trees) is not this pass's cost
            found = []
            for index, page in enumerate(pages):
                started = time.process_time()
                found.append(safe(extractor, page))
                fastest[name][index] = min(fastest[name][index], time.process_time() - started)
            results[name] = found
    rows = {}
    for name in names:
        total = sum(fastest[name])
        rate = len(pages) / total if total > 0 else float("inf")
        if name not in SCORED:
            rows[name] = Row(rate, None, None)
            continue
        found = results[name]
        f1 = sum(bigram_f1(normalise(r.body).text, normalise(p.body).text)
                 for r, p in zip(found, pages, strict=True)) / len(pages)
        dated = [p for p in pages if p.day]
        right = sum(1 for r, p in zip(found, pages, strict=True) if p.day and r.day == p.day)
        rows[name] = Row(rate, f1, right / len(dated) if dated else None)
    return rows


def field_accuracy(pages: list[Page]) -> dict[str, float]:
    """aidnews only: title, author and editor against the truth (after normalisation)."""
    hits = Counter()
    for page in pages:
        cleaned = clean(page.html, url=page.url)
        hits["title"] += comparable(normalise(cleaned.title or "").text) == comparable(normalise(page.title or "").text)
        hits["author"] += same_names(cleaned.author, page.author)
        hits["editor"] += same_names(cleaned.editor, page.editor)
    return {name: hits[name] / len(pages) for name in ("title", "author", "editor")}


# --- real pages: whole processes, start-up included ----------------------------------------------------------------

# each runs in a fresh interpreter over every file of the folder; {files} is a JSON list of paths
_WORKERS = {
    "trafilatura": """
import trafilatura
for name in files:
    trafilatura.bare_extraction(open(name, "rb").read(), with_metadata=True)
""",
    "gne": """
from gne import GeneralNewsExtractor
from etl.encoding import decode_html
for name in files:
    try:
        GeneralNewsExtractor().extract(decode_html(open(name, "rb").read(), None).text)
    except Exception:
        pass
""",
    "readability-lxml": """
from readability import Document
for name in files:
    try:
        Document(open(name, "rb").read()).summary(html_partial=True)
    except Exception:
        pass
""",
}


def _files(folder: Path, limit: int | None) -> list[str]:
    files = sorted(str(p) for p in folder.rglob("*") if p.suffix in (".html", ".htm") and p.is_file())
    return files[:limit] if limit else files


def run_process(name: str, folder: Path, files: list[str]) -> float:
    """Wall seconds of one fresh process extracting every file, start-up and imports included."""
    if name == "aidnews":
        command = [sys.executable, "-m", "etl.cli", "extract", str(folder)]
    else:
        command = [sys.executable, "-c", f"files = {json.dumps(files)}\n" + _WORKERS[name]]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env={"PYTHONPATH": str(ROOT),
                   "PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    return time.perf_counter() - started


def measure_processes(names: list[str], folder: Path, files: list[str], rounds: int) -> dict[str, float]:
    """Pages per wall second, best of ``rounds`` interleaved runs per extractor."""
    best = dict.fromkeys(names, float("inf"))
    for _ in range(rounds):
        for name in names:
            best[name] = min(best[name], run_process(name, folder, files))
    return {name: len(files) / seconds for name, seconds in best.items()}


def main_pages(folder: Path, args: argparse.Namespace) -> None:
    pages = load_folder(folder, args.limit)
    size = sum(len(p.html.encode("utf-8")) for p in pages) / max(len(pages), 1) / 1024
    print(f"{len(pages)} saved pages under {folder}, {size:.0f} KB of HTML on average\n")
    rows = measure(args.only, pages, args.rounds)
    print(f"{'in process':<20} {'pages/s':>9}")
    for name, row in rows.items():
        print(f"{name:<20} {row.rate:>9.1f}")
    if "aidnews" in rows and "trafilatura" in rows:
        print(f"aidnews clean / trafilatura pages/s: {rows['aidnews'].rate / rows['trafilatura'].rate:.2f}x")
    names = [name for name in ("aidnews", *_WORKERS) if name in args.only]
    files = _files(folder, args.limit)
    if args.limit and "aidnews" in names:
        print("\n(--limit applies in process only: aidnews extract reads the whole folder)")
        files = _files(folder, None)
    processes = measure_processes(names, folder, files, max(1, min(args.rounds, 3)))
    print(f"\n{'whole process':<20} {'pages/s':>9}   (start-up included; aidnews = aidnews extract DIR)")
    for name, rate in processes.items():
        print(f"{name:<20} {rate:>9.1f}")
    if "aidnews" in processes and "trafilatura" in processes:
        print(f"aidnews extract / trafilatura pages/s: {processes['aidnews'] / processes['trafilatura']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="use only the first N article pages")
    parser.add_argument("--rounds", type=int, default=5, help="passes over all pages; each page counts its fastest run")
    parser.add_argument("--only", nargs="*", default=list(EXTRACTORS), help="extractors to run")
    parser.add_argument("--pages", type=Path, default=None, help="a folder of saved real pages instead of the demo")
    args = parser.parse_args()

    if args.pages is not None:
        if not args.pages.is_dir():
            sys.exit(f"{args.pages}: no such folder")
        main_pages(args.pages, args)
        return
    pages = load_pages(args.limit)
    size = sum(len(p.html.encode("utf-8")) for p in pages) / max(len(pages), 1) / 1024
    print(f"{len(pages)} article pages from the demo portal, {size:.0f} KB of HTML on average\n")
    rows = measure(args.only, pages, args.rounds)
    print(f"{'extractor':<20} {'body F1':>8} {'date':>7} {'pages/s':>9}")
    for name, row in rows.items():
        f1_text = f"{row.f1:.3f}" if row.f1 is not None else "-"
        date_text = f"{row.dated:.1%}" if row.dated is not None else "-"
        print(f"{name:<20} {f1_text:>8} {date_text:>7} {row.rate:>9.1f}")
    if "aidnews" in rows and "trafilatura" in rows:
        print(f"\naidnews / trafilatura pages/s: {rows['aidnews'].rate / rows['trafilatura'].rate:.2f}x")
    if "aidnews" in rows and "bs4 parse+get_text" in rows:
        print(f"aidnews / bare BeautifulSoup pages/s: {rows['aidnews'].rate / rows['bs4 parse+get_text'].rate:.2f}x")
    if "aidnews" in rows:
        fields = field_accuracy(pages)
        print("aidnews fields right: " + ", ".join(f"{k} {v:.1%}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
