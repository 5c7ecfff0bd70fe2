"""ETL throughput: the full ETL (decode, clean, normalise, metrics, write) against a bare BeautifulSoup parse.

    .venv/bin/python bench/bench_etl.py [--pages 5000] [--pg postgresql+psycopg://postgres@127.0.0.1/postgres]

The test portal's article pages (UTF-8, GBK, and the damaged syndication pages) are stored as raw pages,
repeated under distinct URLs up to --pages, in a fresh SQLite database and, when a PostgreSQL server
answers, a throw-away PostgreSQL database. The same pages are parsed by BeautifulSoup(lxml) + get_text in the
same run. The issue asks the ETL to reach at least half of the bare-parse rate, on both databases.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.demo import render_articles  # noqa: E402
from etl.process import etl_pass  # noqa: E402
from etl.store import engine as db  # noqa: E402
from etl.store.models import Page  # noqa: E402


def page_set(count: int) -> list[tuple[str, bytes, str]]:
    rendered = render_articles()
    out = []
    for i in range(count):
        page = rendered[i % len(rendered)]
        out.append((f"http://bench.example.cn/copy{i // len(rendered)}{page.path}", page.body, page.content_type))
    return out


def bare_parse(pages: list[tuple[str, bytes, str]]) -> float:
    started = time.perf_counter()
    for _, body, _ in pages:
        BeautifulSoup(body, "lxml").get_text()
    return len(pages) / (time.perf_counter() - started)


def store(url: str, pages: list[tuple[str, bytes, str]]) -> sa.Engine:
    db.upgrade(url)
    engine = db.get_engine(url)
    now = datetime.now(UTC)
    rows = [
        {
            "url": u,
            "final_url": u,
            "source_name": "bench",
            "kind": "article",
            "status": 200,
            "headers": {},
            "content_type": ct,
            "body": zlib.compress(body, 3),
            "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "fetched_at": now,
            "etl_status": "pending",
        }
        for u, body, ct in pages
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(Page), rows)
    return engine


def etl_rate(engine: sa.Engine, count: int) -> tuple[float, dict]:
    started = time.perf_counter()
    run = etl_pass(engine=engine, batch_size=200)
    seconds = time.perf_counter() - started
    assert run.status == "ok", run.error
    return count / seconds, run.counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument(
        "--pg",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="an admin URL for a throw-away PostgreSQL database ('' to skip)",
    )
    args = parser.parse_args()
    pages = page_set(args.pages)
    print(f"{len(pages)} pages, {sum(len(b) for _, b, _ in pages) / len(pages) / 1024:.0f} KB on average")
    bare = bare_parse(pages)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = store(f"sqlite:///{tmp}/bench.db", pages)
        results.append(("SQLite", *etl_rate(engine, len(pages))))
        engine.dispose()
    if args.pg:
        name = f"aidnews_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except Exception as exc:
            print(f"PostgreSQL skipped: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        else:
            url = sa.engine.make_url(args.pg).set(database=name).render_as_string(hide_password=False)
            try:
                engine = store(url, pages)
                results.append(("PostgreSQL", *etl_rate(engine, len(pages))))
                engine.dispose()
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"{'run':<28}{'pages/s':>10}{'ratio':>8}")
    print(f"{'bare BeautifulSoup(lxml)':<28}{bare:>10.1f}{1:>8.2f}")
    for label, rate, counts in results:
        print(
            f"{'full ETL, ' + label:<28}{rate:>10.1f}{rate / bare:>8.2f}   "
            f"articles={counts.get('articles', 0)} metrics={counts.get('metrics', 0)} "
            f"errors={counts.get('errors', 0)} skipped={counts.get('skipped', 0)}"
        )
    print("target: full ETL >= 0.50 x bare parse on each database")
    return 0


if __name__ == "__main__":
    sys.exit(main())
