"""The fuzz campaign: N generated and damaged pages (100,000 by default) through decode → clean → normalise → metrics.

    PYTHONPATH=. .venv/bin/python bench/fuzz.py [--cases 100000] [--seed 0] [--workers 1]

Each case runs under a time limit (tests/reliability/fuzzing.py); the first crash stops the campaign and
Hypothesis prints the smallest page that shows it; a page that runs past the limit is counted as a hang and saved
(as aidnews-fuzz-hang-*.html in the temporary folder), and the campaign goes on. The cases run in rounds of
ROUND_CASES, each with its own seed (Hypothesis remembers every case of a run, so one run of 100,000 grows past a
gigabyte). Pages that take more than SLOW_SECONDS are counted and the slowest is saved. The end line gives cases,
seconds, cases per second and how many pages held an article. tests/reliability/test_fuzz.py runs a sample in
every test run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

from fuzzing import FuzzPage, Hang, check_page, pages  # noqa: E402 (found through the path set just above)
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

ROUND_CASES = 5000
SLOW_SECONDS = 2.0  # CPU seconds


def run_round(round_seed: int, cases: int) -> tuple[Counter[str], float, bytes | None]:
    """One round of `cases` cases: the outcomes, and the slowest page over SLOW_SECONDS (its time and bytes)."""
    outcomes: Counter[str] = Counter()
    slowest: list[tuple[float, bytes]] = []

    @seed(round_seed)
    @settings(max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(pages())
    def campaign(page: FuzzPage) -> None:
        started = time.process_time()
        try:
            outcomes[check_page(page)] += 1
        except Hang:
            outcomes["hang"] += 1
            saved = Path(tempfile.gettempdir()) / f"aidnews-fuzz-hang-{round_seed}-{outcomes['hang']}.html"
            saved.write_bytes(page.body)
            print(f"hang: {time.process_time() - started:.1f} CPU s, saved in {saved}", flush=True)
            return
        took = time.process_time() - started
        if took > SLOW_SECONDS:
            outcomes["slow"] += 1
            if not slowest or took > slowest[0][0]:
                slowest[:] = [(took, page.body)]

    campaign()
    return (outcomes, *slowest[0]) if slowest else (outcomes, 0.0, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="processes running rounds side by side")
    args = parser.parse_args()
    rounds = [(args.seed + start, min(ROUND_CASES, args.cases - start)) for start in range(0, args.cases, ROUND_CASES)]
    outcomes: Counter[str] = Counter()
    slowest: tuple[float, bytes | None] = (0.0, None)
    started = time.monotonic()
    with ProcessPoolExecutor(args.workers) as pool:
        for got, took, body in pool.map(run_round, *zip(*rounds, strict=True)):
            outcomes.update(got)
            slowest = max(slowest, (took, body), key=lambda pair: pair[0])
            done = outcomes["article"] + outcomes["no article"] + outcomes["hang"]
            print(f"{done} cases, {time.monotonic() - started:.0f} s", flush=True)
    seconds = time.monotonic() - started
    cases = outcomes["article"] + outcomes["no article"] + outcomes["hang"]
    print(
        f"{cases} cases in {seconds:.0f} s ({cases / seconds:.1f} cases/s with {args.workers} processes), "
        f"no crash; {outcomes['hang']} hangs; {outcomes['article']} held an article, {outcomes['no article']} "
        f"did not; {outcomes['slow']} took more than {SLOW_SECONDS:.0f} s"
    )
    if slowest[1] is not None:
        saved = Path(tempfile.gettempdir()) / "aidnews-fuzz-slowest.html"
        saved.write_bytes(slowest[1])
        print(f"slowest: {slowest[0]:.1f} s, {len(slowest[1])} bytes, saved in {saved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
