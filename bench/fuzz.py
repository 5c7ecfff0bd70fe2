"""The fuzz campaign: N generated and damaged pages (100,000 by default) through decode → clean → normalise → metrics.

    PYTHONPATH=. .venv/bin/python bench/fuzz.py [--cases 100000] [--seed 0]

Each case runs under a time limit (tests/reliability/fuzzing.py); the first crash or hang stops the campaign
and Hypothesis prints the smallest page that shows it. The end line gives cases, seconds, cases per second
and how many pages held an article. tests/reliability/test_fuzz.py runs a sample of the same in every test run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

from fuzzing import FuzzPage, check_page, pages  # noqa: E402 (found through the path set just above)
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    outcomes: Counter[str] = Counter()

    @seed(args.seed)
    @settings(max_examples=args.cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(pages())
    def campaign(page: FuzzPage) -> None:
        outcomes[check_page(page)] += 1
        done = sum(outcomes.values())
        if done % 10_000 == 0:
            print(f"{done} cases, {time.monotonic() - started:.0f} s", flush=True)

    started = time.monotonic()
    campaign()
    seconds = time.monotonic() - started
    cases = sum(outcomes.values())
    print(f"{cases} cases in {seconds:.0f} s ({cases / seconds:.1f} cases/s), no crash and no hang; "
          f"{outcomes['article']} held an article, {outcomes['no article']} did not")
    return 0


if __name__ == "__main__":
    sys.exit(main())
