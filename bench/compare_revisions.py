"""The extraction stages of two revisions on the same pages, in one run: did a change make aidnews slower?

    python bench/compare_revisions.py                      # the revision before the redesign (issue 9) vs this tree
    python bench/compare_revisions.py --before 043e389 --after HEAD --rounds 7

Each revision is checked out into a temporary `git worktree` (the working tree itself when --after is
omitted), and the same workload runs in a fresh process per revision per round, the two interleaved and their
order alternated each round, so load from other work on a shared machine falls on both alike. The workload:
every article page of the demo portal (rendered once by this tree and written to a temporary folder, so both
revisions read the same bytes) and, when the shared corpus is beside the clone, its real pages. Each process
imports the revision's own stage functions, runs every stage once over all pages untimed (dictionaries and
converters load lazily), then times each stage's CPU over all pages, best of --repeat passes:

    decode     bytes -> str                   etl.encoding / etl.text.encoding  decode_html
    clean      str -> article fields          etl.clean / etl.html              clean
    normalise  the body                       etl.normalise / etl.text.normalise  normalise
    metrics    figures and aid entities       etl.metrics extract_metrics, etl.entities extract_entities

It prints, per stage and overall, the median over rounds of each revision's CPU seconds and of the per-round
ratio after / before. A ratio under 1 is faster. The stage split is the one `etl.extract.extract` makes in
both revisions; only the module names moved.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("AIDNEWS_SHARED") or ROOT.parent / "shared") / "corpus" / "gne-pages"
STAGES = ("decode", "clean", "normalise", "metrics")
# The redesign of issue 9 began with a490295 (etl/text), the first commit after a nine-hour gap; its parent is
# the last tree in the old shape. `git log --diff-filter=A -- etl/html/__init__.py` finds the etl/html split
# (04e806a), one commit later, whose parent already holds etl/text.
BEFORE_REDESIGN = "043e389"

# Run inside the revision's tree (cwd and PYTHONPATH), reads the page list, prints one JSON line.
WORKER = r"""
import json, sys, time

def first(*names):
    import importlib
    for module, attribute in names:
        try:
            return getattr(importlib.import_module(module), attribute)
        except ImportError:
            continue
    raise ImportError(f"none of {names}")

decode_html = first(("etl.text.encoding", "decode_html"), ("etl.encoding", "decode_html"))
clean = first(("etl.html", "clean"), ("etl.clean", "clean"))
CleanError = first(("etl.html", "CleanError"), ("etl.clean", "CleanError"))
normalise = first(("etl.text.normalise", "normalise"), ("etl.normalise", "normalise"))
extract_metrics = first(("etl.metrics", "extract_metrics"),)
extract_entities = first(("etl.entities", "extract_entities"),)
import etl

listing, repeat = sys.argv[1], int(sys.argv[2])
pages = [(open(path, "rb").read(), content_type, url) for path, content_type, url in json.load(open(listing))]

def skip_spans(norm):
    spans = getattr(norm, "unreadable_spans", None)
    return norm.garbled_spans if spans is None else spans

def run(times):
    texts, cleaned, normed = [], [], []
    started = time.process_time()
    for body, content_type, url in pages:
        texts.append(decode_html(body, content_type).text)
    times["decode"] = min(times.get("decode", 9e9), time.process_time() - started)
    started = time.process_time()
    for text, (_, _, url) in zip(texts, pages):
        try:
            cleaned.append(clean(text, url=url))
        except CleanError:
            cleaned.append(None)
    times["clean"] = min(times.get("clean", 9e9), time.process_time() - started)
    started = time.process_time()
    for item in cleaned:
        normed.append(normalise(item.body) if item is not None and item.paragraphs else None)
    times["normalise"] = min(times.get("normalise", 9e9), time.process_time() - started)
    started = time.process_time()
    figures = 0
    for item, norm in zip(cleaned, normed):
        if norm is not None:
            figures += len(extract_metrics(norm.text, skip_spans=skip_spans(norm)))
            extract_entities(item.title or "", norm.text)
    times["metrics"] = min(times.get("metrics", 9e9), time.process_time() - started)
    return sum(n is not None for n in normed), figures

warm = {}
articles, figures = run(warm)
times = {}
for _ in range(repeat):
    run(times)
print(json.dumps({"times": times, "articles": articles, "figures": figures, "etl": etl.__file__}))
"""


def write_pages(folder: Path, real: bool) -> list[tuple[str, str | None, str]]:
    """The demo portal's article pages as this tree renders them, plus the shared corpus' pages."""
    sys.path.insert(0, str(ROOT))
    from crawler.demo import render_articles

    listing: list[tuple[str, str | None, str]] = []
    for number, page in enumerate(render_articles()):
        path = folder / f"demo-{number}.html"
        path.write_bytes(page.body)
        listing.append((str(path), page.content_type, "http://127.0.0.1:8000" + page.path))
    if real and CORPUS.is_dir():
        for path in sorted(CORPUS.rglob("*.html")):
            listing.append((str(path), None, f"http://{path.parent.name}.example/{path.name}"))
    return listing


def checkout(revision: str, into: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(into), revision],
        check=True,
        capture_output=True,
        text=True,
    )
    return into


def measure(tree: Path, listing: Path, repeat: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(listing), str(repeat)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise SystemExit(f"the workload failed in {tree}:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(result["etl"]).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"{tree} imported etl from {result['etl']}: check PYTHONPATH and the editable install")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE_REDESIGN, help="the old revision (default: before issue 9)")
    parser.add_argument("--after", default=None, help="the new revision (default: this working tree as it is)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (processes per revision)")
    parser.add_argument("--repeat", type=int, default=2, help="timed passes per process; each stage's best")
    parser.add_argument("--no-real", action="store_true", help="the demo portal's pages only")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="aidnews-compare-") as scratch:
        work = Path(scratch)
        (work / "pages").mkdir()
        listing = write_pages(work / "pages", real=not args.no_real)
        (work / "pages.json").write_text(json.dumps(listing), encoding="utf-8")
        trees: dict[str, Path] = {}
        try:
            trees["before"] = checkout(args.before, work / "before")
            trees["after"] = checkout(args.after, work / "after") if args.after else ROOT
            demo = sum(1 for path, _, _ in listing if Path(path).name.startswith("demo-"))
            print(
                f"{len(listing)} pages ({demo} demo portal, {len(listing) - demo} real); before = {args.before}, "
                f"after = {args.after or 'this working tree'}; {args.rounds} rounds, best of {args.repeat} passes"
            )
            results: dict[str, list[dict]] = {"before": [], "after": []}
            for round_number in range(args.rounds):
                order = ("before", "after") if round_number % 2 == 0 else ("after", "before")
                for name in order:
                    results[name].append(measure(trees[name], work / "pages.json", args.repeat))
                line = "  ".join(
                    f"{name} {sum(results[name][-1]['times'].values()):.2f} s" for name in ("before", "after")
                )
                print(f"round {round_number + 1}: {line}", flush=True)
        finally:
            for tree in trees.values():
                if tree != ROOT:
                    subprocess.run(
                        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True
                    )
    for name in ("before", "after"):
        first = results[name][0]
        print(f"{name}: {first['articles']} articles, {first['figures']} figures")
    print(f"\n{'stage':<10} {'before s':>9} {'after s':>9} {'after/before':>13}  (medians over rounds, CPU)")
    for stage in (*STAGES, "total"):

        def seconds(result: dict, stage: str = stage) -> float:
            times = result["times"]
            return sum(times.values()) if stage == "total" else times[stage]

        ratios = [seconds(a) / seconds(b) for a, b in zip(results["after"], results["before"], strict=True)]
        print(
            f"{stage:<10} {statistics.median(map(seconds, results['before'])):>9.3f} "
            f"{statistics.median(map(seconds, results['after'])):>9.3f} {statistics.median(ratios):>12.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
