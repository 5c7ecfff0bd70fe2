"""The fuzz campaign: N generated and damaged pages (100,000 by default) through decode → clean → normalise → metrics.

    PYTHONPATH=. .venv/bin/python bench/fuzz.py [--cases 100000] [--seed 0]

Each case runs under a time limit (tests/reliability/fuzzing.py); the first crash or hang stops the campaign
and Hypothesis prints the smallest page that shows it. The cases run in rounds of ROUND_CASES, each with its
own seed (Hypothesis remembers every case of a run, so one run of 100,000 grows past a gigabyte). Pages that
take more than SLOW_SECONDS are counted and the slowest is saved. The end line gives cases, seconds, cases per
second and how many pages held an article. tests/reliability/test_fuzz.py runs a sample in every test run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

from fuzzing import FuzzPage, check_page, pages  # noqa: E402 (found through the path set just above)
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

ROUND_CASES = 5000
SLOW_SECONDS = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    outcomes: Counter[str] = Counter()
    slowest: list[tuple[float, FuzzPage]] = []

    def one_round(round_seed: int, cases: int) -> None:
        @seed(round_seed)
        @settings(max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(pages())
        def campaign(page: FuzzPage) -> None:
            started = time.monotonic()
            outcomes[check_page(page)] += 1
            took = time.monotonic() - started
            if took > SLOW_SECONDS:
                outcomes["slow"] += 1
                if not slowest or took > slowest[0][0]:
                    slowest[:] = [(took, page)]

        campaign()

    started = time.monotonic()
    done = 0
    while done < args.cases:
        cases = min(ROUND_CASES, args.cases - done)
        one_round(args.seed + done, cases)
        done += cases
        print(f"{done} cases, {time.monotonic() - started:.0f} s", flush=True)
    seconds = time.monotonic() - started
    cases = outcomes["article"] + outcomes["no article"]
    print(f"{cases} cases in {seconds:.0f} s ({cases / seconds:.1f} cases/s), no crash and no hang; "
          f"{outcomes['article']} held an article, {outcomes['no article']} did not; "
          f"{outcomes['slow']} took more than {SLOW_SECONDS:.0f} s")
    if slowest:
        took, page = slowest[0]
        saved = Path(tempfile.gettempdir()) / "aidnews-fuzz-slowest.html"
        saved.write_bytes(page.body)
        print(f"slowest: {took:.1f} s, {len(page.body)} bytes, content type {page.content_type!r}, saved in {saved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
