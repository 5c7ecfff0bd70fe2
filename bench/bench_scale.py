"""Scale-out: the distributed crawl, then 1, 2 and 4 ETL workers, on real-weight pages and a fresh PostgreSQL.

    .venv/bin/python bench/bench_scale.py [--pages 1500] [--crawl-workers 2] [--etl-workers 1,2,4]

What one ETL worker does per second is what sizes a deployment (docs/deploy.md); what 2 and 4 workers add on
the same database shows whether the shared parts (claims, the one write lock, the duplicate index) hold them
back. A generated site of `--pages` article pages of 80-150 KB each (the weight of real portal pages: most of
it navigation, scripts and footer, around 2-5 KB of article text, distinct per page so no two are copies) and
list pages of 50 links is served from memory on 127.0.0.1. It is crawled once by `aidnews crawl --workers N
--redis URL` into a fresh PostgreSQL database; then, for each worker count, every page is put back in the queue
(articles emptied, VACUUM) and that many `aidnews etl --worker --once` processes drain it.

Printed per configuration: pages/s over the workers' recorded runs (first start to last end: interpreter
start-up excluded) and over the wall clock (included), the speed-up against one worker, and the efficiency per
core (speed-up / min(workers, cores)), which is what extrapolates to bigger machines, and pages per CPU second
of the worker processes (start-up included; the database server's CPU not), which a loaded machine does not
bend the way it bends wall-clock rates, and the share of the time the one write lock was held (near 100%, the
database's writes are what limits more workers). Then the database's
bytes per stored page (every table, indexes and TOAST included) for the size-per-million-pages estimate.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from bench_crawl import PER_LIST, list_html, serve

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.store import engine as db  # noqa: E402

PG_ADMIN_URL = os.environ.get("AIDNEWS_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("AIDNEWS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
NAV_ITEMS = 300  # links in the generated navigation: with scripts and footer, the page reaches 80-150 KB
PARAGRAPHS_PER_PAGE = (8, 14)


def paragraph_pool() -> list[str]:
    """The demo portal's true article paragraphs: real news prose, for compression and extraction as in life."""
    from crawler.demo import render_articles

    pool = {p for page in render_articles() if page.truth for p in page.truth.get("paragraphs", [])}
    return sorted(pool)


def article_html(i: int, pool: list[str]) -> bytes:
    """Article i: paragraphs drawn from the pool (about 10 of some 700: no two pages are near-duplicates), with
    the page's own figures, inside navigation, an inline script and a footer of real-page weight."""
    rng = random.Random(i)
    paragraphs = [
        f"<p>{text}援疆资金{rng.randint(100, 9000)}万元。</p>"
        for text in rng.sample(pool, rng.randint(*PARAGRAPHS_PER_PAGE))
    ]
    nav = "".join(
        f'<li><a href="/col/list_{k % 40 + 1}.html" title="栏目{k}">栏目导航第{k}项</a></li>' for k in range(NAV_ITEMS)
    )
    toggle = "function f{k}(a){{var x=document.getElementById('m{k}');if(x){{x.style.display=a?'block':'none';}}}}\n"
    script = "<script>" + "".join(toggle.format(k=k) for k in range(rng.randint(600, 1150))) + "</script>"
    footer = "".join(f"<p>友情链接：单位{k} 地址 电话 0991-{k:07d}</p>" for k in range(rng.randint(40, 120)))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>援疆工作动态第{i}期_援疆网</title>{script}</head>'
        f'<body><ul class="nav">{nav}</ul><h1>援疆工作动态第{i}期</h1><div class="info">发布时间：2024-0'
        f'{i % 9 + 1}-{i % 27 + 1:02d} 10:00 来源：援疆网</div><div class="content">{"".join(paragraphs)}</div>'
        f'<div class="footer">{footer}</div></body></html>'
    ).encode()


def build_site(pages: int) -> dict[str, bytes]:
    lists = (pages + PER_LIST - 1) // PER_LIST
    pool = paragraph_pool()
    site = {f"/art/c_{i}.html": article_html(i, pool) for i in range(pages)}
    site.update({f"/col/list_{p}.html": list_html(p, lists, pages) for p in range(1, lists + 1)})
    site["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    return site


def sources_toml(base: str) -> str:
    return (
        '[[source]]\nname = "bench"\n'
        f'start_urls = ["{base}/col/list_1.html"]\nallowed_domains = ["127.0.0.1"]\n'
        "article_patterns = ['/art/c_\\d+\\.html$']\nlist_patterns = ['/col/list_\\d+\\.html$']\n"
        'keywords = ["援疆"]\nmax_depth = 1000\nschedule = "0 3 * * *"\nlocal = true\n'
    )


def aidnews(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aidnews", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def crawl(env: dict[str, str], sources: Path, workers: int, engine: sa.Engine) -> tuple[int, float]:
    started = time.monotonic()
    proc = aidnews(env, "crawl", "--sources", str(sources), "--workers", str(workers), "--redis", REDIS_URL)
    _, err = proc.communicate()
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"the crawl failed ({proc.returncode}): {err[-2000:]}")
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM page WHERE kind = 'article'")).scalar_one()
    return stored, seconds


def requeue(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE article RESTART IDENTITY CASCADE"))
        conn.execute(sa.text("DELETE FROM run WHERE kind = 'etl'"))
        conn.execute(
            sa.text(
                "UPDATE page SET etl_status = 'pending', etl_error = NULL, claimed_by = NULL, claimed_until = NULL "
                "WHERE kind = 'article'"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def etl(env: dict[str, str], workers: int, batch: int, engine: sa.Engine) -> tuple[int, float, float, float, float]:
    """Pages processed, seconds over the recorded runs, seconds of wall clock, CPU seconds of the workers, and
    seconds the write lock was held (summed over the runs' `write_lock_held_ms`)."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    procs = [aidnews(env, "etl", "--worker", "--once", "--batch", str(batch)) for _ in range(workers)]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"an ETL worker failed ({proc.returncode}): {err[-2000:]}")
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    with engine.connect() as conn:
        first, last = conn.execute(
            sa.text("SELECT min(started_at), max(finished_at) FROM run WHERE kind = 'etl'")
        ).one()
        pending = conn.execute(sa.text("SELECT count(*) FROM page WHERE etl_status = 'pending'")).scalar_one()
        counts = conn.execute(sa.text("SELECT counts FROM run WHERE kind = 'etl'")).scalars().all()
    if pending:
        raise SystemExit(f"{pending} pages still pending after {workers} workers")
    held = sum(c.get("write_lock_held_ms", 0) for c in counts) / 1000
    return sum(c.get("pages", 0) for c in counts), (last - first).total_seconds(), wall, cpu_s, held


def bytes_per_page(engine: sa.Engine) -> tuple[int, int, float]:
    with engine.connect() as conn:
        total = conn.execute(
            sa.text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm')"
            )
        ).scalar_one()
        pages = conn.execute(sa.text("SELECT count(*) FROM page")).scalar_one()
        raw = conn.execute(sa.text("SELECT avg(size) FROM page WHERE kind = 'article'")).scalar_one()
    return int(total), int(pages), float(raw)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--crawl-workers", type=int, default=2)
    parser.add_argument("--etl-workers", default="1,2,4")
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    counts = [int(n) for n in args.etl_workers.split(",")]
    cores = os.cpu_count() or 1

    site = build_site(args.pages)
    sizes = [len(body) for path, body in site.items() if path.startswith("/art/")]
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(
        f"site: {args.pages} article pages, {min(sizes) / 1e3:.0f}-{max(sizes) / 1e3:.0f} KB "
        f"(mean {sum(sizes) / len(sizes) / 1e3:.0f} KB); {cores} cores"
    )

    name = f"aidnews_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        db.upgrade(url)
        engine = db.get_engine(url)
        with engine.begin() as conn:  # the frontier's Redis keys carry the run id: keep clear of other databases'
            conn.execute(sa.text(f"ALTER SEQUENCE run_id_seq RESTART WITH {random.randint(10**8, 10**9)}"))
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        with tempfile.TemporaryDirectory() as tmp:
            sources = Path(tmp) / "sources.toml"
            sources.write_text(sources_toml(base), encoding="utf-8")
            stored, seconds = crawl(env, sources, args.crawl_workers, engine)
        server.shutdown()
        print(
            f"crawl, {args.crawl_workers} workers (Redis frontier): {stored} article pages in {seconds:.1f} s = "
            f"{stored / seconds:.1f} pages/s (start-up included)"
        )
        results = {}
        for n in counts:
            requeue(engine)
            results[n] = etl(env, n, args.batch, engine)
        base_rate = None
        print(
            f"{'ETL workers':<12}{'pages':>7}{'run s':>8}{'pages/s':>9}{'wall s':>8}{'pages/s':>9}"
            f"{'speed-up':>10}{'per core':>10}{'pages/CPU-s':>13}{'lock held':>11}"
        )
        for n, (pages, run_s, wall_s, cpu_s, held) in results.items():
            rate = pages / run_s
            base_rate = base_rate or rate
            speedup = rate / base_rate
            print(
                f"{n:<12}{pages:>7}{run_s:>8.1f}{rate:>9.1f}{wall_s:>8.1f}{pages / wall_s:>9.1f}"
                f"{speedup:>10.2f}{speedup / min(n, cores):>10.2f}{pages / cpu_s:>13.1f}{held / run_s:>11.0%}"
            )
        total, rows, raw = bytes_per_page(engine)
        print(
            f"database: {total / 1e6:.1f} MB for {rows} pages = {total / rows / 1e3:.1f} KB per stored page "
            f"(raw HTML {raw / 1e3:.0f} KB, stored compressed) -> {total / rows * 1e6 / 1e9:.0f} GB per million"
        )
    finally:
        db.get_engine(url).dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
