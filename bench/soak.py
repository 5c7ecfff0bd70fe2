"""Soak: the service on the demo portal for hours, with readers and corrections, watching for leaks and stalls.

    .venv/bin/python bench/soak.py [--minutes 120] [--sample-seconds 60] [--rss-growth-mb 40]

What runs: the demo portal (served by this process, with an edits directory), and `python -m aidnews serve`
in a child process on a fresh SQLite database (or --database-url), with every source crawled every minute,
an ETL pass every minute, revisits of every stored article every `--revisit-every`, and maintenance as the
service schedules it (overdue on a fresh database: a minute after start-up). Beside it, `--readers` threads
query the database as users do (status, articles, totals). Every `--change-every` minutes one article is
corrected on the portal (a funding figure and its title), and the time until the service's database holds
the new figure is measured.

What it prints: one line per sample (the service process's RSS, file descriptors and threads, the rows of
the growing tables, the database's size, crawl and ETL runs so far, reader queries), then a summary.

It fails (exit 1) when, after the warm-up (`--warmup-minutes`, default a quarter of the run, at most 10),
the service's RSS grows more than `--rss-growth-mb` above its level at the end of the warm-up; when the
service dies or does not stop cleanly on SIGTERM; when a run fails or crashes; when a reader query fails;
or when a correction is not picked up within `--revisit-every` plus three minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402  (after the path, so this checkout's packages are used)
from sqlmodel import Session  # noqa: E402

from crawler.demo import DemoPortal, demo_sources, ground_truth  # noqa: E402
from etl import query  # noqa: E402
from etl.config_check import duration_seconds  # noqa: E402
from etl.filters import Filters, resolve  # noqa: E402
from etl.store import engine as db  # noqa: E402
from etl.store.models import Article, Metric, Run  # noqa: E402

MONEY = re.compile(r"资金(\d[\d,]*)万元")
GROWING = ("page", "run", "article", "metric", "article_version")
PICKUP_SLACK_SECONDS = 180  # a correction must reach the database within the revisit interval plus this


@dataclass
class Correction:
    article_id: str
    url: str
    value: float  # the new figure, in yuan
    injected: float  # time.monotonic()
    picked_after: float | None = None


@dataclass
class Readers:
    queries: int = 0
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def process_figures(pid: int) -> dict[str, float]:
    """RSS (MB), open file descriptors and threads of one process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return {"rss_mb": rss, "fds": fds, "threads": threads}


def children_rss(pid: int) -> float:
    """RSS (MB) of the process's children right now (crawl processes, ETL workers)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                total += process_figures(int(proc.name))["rss_mb"]
        except (OSError, ValueError, AttributeError):
            continue
    return total


def sources_toml(base_url: str, revisit_every: str) -> str:
    lines = ["[settings]", "etl_interval_minutes = 1", "revisit_days = 36500", f'revisit_every = "{revisit_every}"', ""]
    for source in demo_sources(base_url):
        source = dict(source, schedule="* * * * *")
        lines.append("[[source]]")
        lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in source.items()]
        lines.append("")
    return "\n".join(lines)


def candidates(base_url: str) -> list[dict[str, Any]]:
    """hq originals that state their funding once: the articles corrections are made to."""
    found = []
    for truth in ground_truth(base_url):
        if truth["site"] == "hq" and not truth["canonical_of"]:
            if len([m for p in truth["paragraphs"] for m in MONEY.finditer(p)]) == 1:
                found.append(truth)
    return found


def correct(truth: dict[str, Any], step: int) -> tuple[dict[str, Any], float]:
    """An edit of the article raising its funding figure by 111 万元 × step; returns it and the new value in yuan."""
    paragraphs = list(truth["paragraphs"])
    for index, paragraph in enumerate(paragraphs):
        match = MONEY.search(paragraph)
        if match:
            old = int(match.group(1).replace(",", ""))
            new = old + 111 * step
            paragraphs[index] = paragraph.replace(match.group(0), f"资金{new}万元")
            edit = {"id": truth["id"], "title": f"{truth['title']}（第{step}次更新）", "paragraphs": paragraphs}
            return edit, new * 1e4
    raise ValueError(f"{truth['id']} states no funding")


def read_loop(engine: sa.Engine, readers: Readers) -> None:
    """What users do while the service works: status, the newest articles, totals."""
    while not readers.stop.is_set():
        try:
            with Session(engine) as session:
                query.status(session)
                query.articles(session, limit=50, search="援疆")
                query.grouped_metrics(session, "recipient", resolve(session, Filters(unit="CNY")))
            readers.queries += 3
        except Exception as exc:  # every failure is reported: a locked database is what this looks for
            readers.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        readers.stop.wait(0.5)


def table_rows(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one() for name in GROWING}


def run_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Run.kind, Run.status, sa.func.count(Run.id)).group_by(Run.kind, Run.status))
        return {f"{kind}:{status}": n for kind, status, n in rows}


def picked_up(engine: sa.Engine, correction: Correction) -> bool:
    with engine.connect() as conn:
        values = (
            conn.execute(
                sa.select(Metric.value)
                .join(Article, Article.id == Metric.article_id)
                .where(Article.canonical_url == correction.url)
            )
            .scalars()
            .all()
        )
    return any(abs(v - correction.value) < 1 for v in values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/soak.py", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120)
    parser.add_argument("--sample-seconds", type=float, default=60)
    parser.add_argument("--warmup-minutes", type=float, default=None)
    parser.add_argument("--rss-growth-mb", type=float, default=40.0, help="allowed RSS growth after warm-up")
    parser.add_argument("--change-every", type=float, default=10, help="minutes between two corrections")
    parser.add_argument("--revisit-every", default="2m", help="the sources' revisit_every")
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary directory")
    parser.add_argument("--json", type=Path, default=None, help="also write the samples and summary here")
    args = parser.parse_args(argv)
    warmup = args.warmup_minutes if args.warmup_minutes is not None else min(10.0, args.minutes / 4)
    revisit_seconds = duration_seconds(args.revisit_every) or 0
    workdir = Path(tempfile.mkdtemp(prefix="aidnews-soak-"))
    url = args.database_url or f"sqlite:///{workdir / 'soak.db'}"
    db.upgrade(url)
    engine = db.get_engine(url)
    edits = workdir / "edits"
    edits.mkdir()
    failures: list[str] = []
    samples: list[dict[str, Any]] = []
    corrections: list[Correction] = []
    readers = Readers()
    with DemoPortal(edits=edits) as portal:
        sources = workdir / "sources.toml"
        sources.write_text(sources_toml(portal.base_url, args.revisit_every), encoding="utf-8")
        pool = candidates(portal.base_url)
        env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
        log = (workdir / "service.log").open("wb")
        service = subprocess.Popen(
            [sys.executable, "-m", "aidnews", "serve", "--sources", str(sources)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        threads = [threading.Thread(target=read_loop, args=(engine, readers), daemon=True) for _ in range(args.readers)]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        next_sample = started
        next_change = started + args.change_every * 60
        print(
            f"soak: {args.minutes:g} min, warm-up {warmup:g} min, service pid {service.pid}, database "
            f"{db.describe(url)}, work files in {workdir}",
            flush=True,
        )
        print(
            f"{'min':>6} {'rss MB':>7} {'kids MB':>7} {'fds':>4} {'thr':>4} "
            + " ".join(f"{t:>8}" for t in GROWING)
            + f" {'db MB':>6} {'crawls':>6} {'etl':>5} {'reads':>6}",
            flush=True,
        )
        try:
            while time.monotonic() - started < args.minutes * 60:
                if service.poll() is not None:
                    failures.append(f"the service exited with code {service.returncode}")
                    break
                now = time.monotonic()
                if now >= next_change and pool:
                    step = len(corrections) + 1
                    truth = pool[(step - 1) % len(pool)]
                    edit, value = correct(truth, step)
                    with (edits / "corrections.jsonl").open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(edit, ensure_ascii=False) + "\n")
                    corrections.append(Correction(truth["id"], truth["url"], value, now))
                    next_change += args.change_every * 60
                for item in corrections:
                    if item.picked_after is None and picked_up(engine, item):
                        item.picked_after = time.monotonic() - item.injected
                if now >= next_sample:
                    figures = process_figures(service.pid)
                    rows = table_rows(engine)
                    runs = run_counts(engine)
                    sample = {
                        "minute": round((now - started) / 60, 1),
                        **figures,
                        "children_rss_mb": round(children_rss(service.pid), 1),
                        "rows": rows,
                        "db_mb": round((db.size_bytes(engine) or 0) / 2**20, 1),
                        "runs": runs,
                        "reader_queries": readers.queries,
                    }
                    samples.append(sample)
                    crawls = sum(n for k, n in runs.items() if k.startswith("crawl:"))
                    etls = sum(n for k, n in runs.items() if k.startswith("etl:"))
                    print(
                        f"{sample['minute']:>6} {figures['rss_mb']:>7.1f} {sample['children_rss_mb']:>7.1f} "
                        f"{figures['fds']:>4} {figures['threads']:>4} "
                        + " ".join(f"{rows[t]:>8}" for t in GROWING)
                        + f" {sample['db_mb']:>6} {crawls:>6} {etls:>5} {readers.queries:>6}",
                        flush=True,
                    )
                    next_sample += args.sample_seconds
                time.sleep(1.0)
        finally:
            readers.stop.set()
            for thread in threads:
                thread.join(timeout=30)
            stop_started = time.monotonic()
            if service.poll() is None:
                service.send_signal(signal.SIGTERM)
            try:
                code = service.wait(timeout=120)
            except subprocess.TimeoutExpired:
                service.kill()
                code = service.wait()
            stop_seconds = time.monotonic() - stop_started
            log.close()
    if code != 0:
        failures.append(f"the service exited with code {code} on SIGTERM")
    summary = summarise(samples, corrections, readers, engine, warmup, args, revisit_seconds, stop_seconds, failures)
    print(json.dumps(summary, ensure_ascii=False, indent=1), flush=True)
    if args.json:
        args.json.write_text(
            json.dumps({"samples": samples, "summary": summary}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    engine.dispose()
    for failure in summary["failures"]:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if summary["failures"] else 0


def summarise(
    samples: list[dict[str, Any]],
    corrections: list[Correction],
    readers: Readers,
    engine: sa.Engine,
    warmup: float,
    args: argparse.Namespace,
    revisit_seconds: int,
    stop_seconds: float,
    failures: list[str],
) -> dict[str, Any]:
    """The run's figures, and every bound it broke."""
    failures = list(failures)
    after = [s for s in samples if s["minute"] >= warmup]
    baseline = after[0]["rss_mb"] if after else None
    growth = max(s["rss_mb"] for s in after) - baseline if after and baseline is not None else None
    if growth is not None and growth > args.rss_growth_mb:
        failures.append(f"RSS grew {growth:.1f} MB after the warm-up (bound {args.rss_growth_mb:g} MB)")
    if not after:
        failures.append("no sample after the warm-up: run longer than the warm-up")
    runs = run_counts(engine)
    broken = {k: n for k, n in runs.items() if k.split(":")[1] in ("failed", "crashed", "timeout")}
    if broken:
        failures.append(f"runs that did not end well: {broken}")
    if readers.errors:
        failures.append(f"{len(readers.errors)} reader queries failed, e.g. {readers.errors[0]}")
    limit = revisit_seconds + PICKUP_SLACK_SECONDS
    minutes_left = [c for c in corrections if c.picked_after is None and time.monotonic() - c.injected > limit]
    if minutes_left:
        failures.append(f"{len(minutes_left)} corrections not in the database {limit} s after they were served")
    latencies = [c.picked_after for c in corrections if c.picked_after is not None]
    with Session(engine) as session:
        tables = query.table_sizes(session)
    first, last = (samples[0], samples[-1]) if samples else ({}, {})
    return {
        "minutes": samples[-1]["minute"] if samples else 0,
        "warmup_minutes": warmup,
        "rss_mb": {
            "first": first.get("rss_mb"),
            "after_warmup": baseline,
            "max": max((s["rss_mb"] for s in samples), default=None),
            "last": last.get("rss_mb"),
            "growth_after_warmup": growth,
            "bound": args.rss_growth_mb,
        },
        "fds": {
            "min": min((s["fds"] for s in after), default=None),
            "max": max((s["fds"] for s in after), default=None),
        },
        "threads": {
            "min": min((s["threads"] for s in after), default=None),
            "max": max((s["threads"] for s in after), default=None),
        },
        "runs": runs,
        "reader_queries": readers.queries,
        "reader_errors": len(readers.errors),
        "corrections": len(corrections),
        "corrections_picked_up": len(latencies),
        "pickup_seconds": {
            "median": statistics.median(latencies) if latencies else None,
            "max": max(latencies) if latencies else None,
        },
        "tables": tables,
        "stop_seconds": round(stop_seconds, 1),
        "failures": failures,
    }


if __name__ == "__main__":
    sys.exit(main())
