"""The duplicate index at scale: finding an article's copies, and undoing a failed batch, against the plain way.

    .venv/bin/python bench/bench_dedup.py [--articles 100000] [--lookups 500]

Fills `etl.dedup.DuplicateIndex` with --articles random SimHashes (one in ten a near copy of an earlier one,
one to three bits away), then in the same process times, per article written by the ETL:
1. `group()` (the hash's blocks looked up) against comparing the hash with every stored one, the way the index
   worked before; both must return the same groups;
2. `undone_on_error()` around a batch of 100 additions against copying the whole index before the batch.
It prints the times and their ratios; absolute times move with the machine, the ratios are the point.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl.dedup import DuplicateIndex, distance, filed  # noqa: E402
from etl.store.articles import NEAR_DUPLICATE_DISTANCE  # noqa: E402

BATCH = 100


def every_one(index: DuplicateIndex, article_id: int) -> list[int]:
    """The group by comparing the article's hashes with every stored article's (the index before its blocks)."""
    content_hash, sim, _, _ = index.entries[article_id]
    members = set(filed(index.by_hash, content_hash))
    members.update(
        other
        for other, (_, other_sim, _, _) in index.entries.items()
        if other_sim is not None and sim is not None and distance(other_sim, sim) <= index.max_distance
    )
    members.add(article_id)
    return sorted(members, key=lambda m: index.entries[m][2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=500)
    args = parser.parse_args()
    rng = random.Random(7)
    index = DuplicateIndex(NEAR_DUPLICATE_DISTANCE)
    sims: list[int] = []
    for n in range(args.articles):
        if sims and rng.random() < 0.1:
            value = rng.choice(sims) & ((1 << 64) - 1)
            for bit in rng.sample(range(64), rng.randint(1, 3)):
                value ^= 1 << bit
        else:
            value = rng.getrandbits(64)
        sim = value - (1 << 64) if value >= 1 << 63 else value
        sims.append(sim)
        index.add(n, f"h{n}", sim, (n, n))
    probes = rng.sample(range(args.articles), args.lookups)

    started = time.process_time()
    banded = [index.group(p) for p in probes]
    blocks = (time.process_time() - started) / len(probes)
    started = time.process_time()
    plain = [every_one(index, p) for p in probes[: max(1, len(probes) // 10)]]
    scan = (time.process_time() - started) / len(plain)
    assert banded[: len(plain)] == plain, "the two ways found different groups"
    copies = sum(len(g) > 1 for g in banded)
    print(f"{args.articles:,} articles in the index, near-duplicate distance {NEAR_DUPLICATE_DISTANCE}")
    print(f"group(), CPU per article: through the blocks {blocks * 1e6:8.1f} us   every article {scan * 1e3:8.1f} ms")
    print(f"   ratio {scan / blocks:,.0f}x ({copies} of {len(probes)} looked up had copies; same groups both ways)")

    rounds = 5
    started = time.process_time()
    for r in range(rounds):
        with index.undone_on_error():
            for k in range(BATCH):
                index.add(args.articles + r * BATCH + k, "new", sims[k], (0, 0))
    journal = (time.process_time() - started) / rounds
    started = time.process_time()
    for _ in range(rounds):
        copy = {k: list(v) for k, v in index.entries.items()}
    whole = (time.process_time() - started) / rounds
    del copy
    print(
        f"a batch of {BATCH} additions, made undoable: journal {journal * 1e3:8.2f} ms   "
        f"whole copy {whole * 1e3:8.1f} ms"
    )
    print(f"   ratio {whole / journal:,.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
