"""Full-text search at scale: query latency, and what the index adds to each article the ETL writes.

    .venv/bin/python bench/bench_search.py [--articles 100000] [--writes 2000] [--rounds 5]
                                           [--pg postgresql+psycopg://postgres@127.0.0.1/postgres]
    .venv/bin/python bench/bench_search.py --query-only URL [--rounds 5]
    .venv/bin/python bench/bench_search.py --only postgresql --keep   # keep the database for --query-only

Generates --articles articles from the demo corpus' sentences (numbers redrawn so that figures vary), with body
lengths drawn from a log-normal fitted to the real pages of the shared corpus (median about 1,300 characters,
tenth to ninetieth percentile about 250 to 3,900), into a fresh SQLite database and, when the server answers, a
throw-away PostgreSQL database. On each it then:

1. writes --writes articles with the ETL's own writer (`etl.store.articles.store_articles`, batches of 100, as
   an ETL pass does) without the search index (schema 0006, the one before it), replaces them with new text, stores them
   again unchanged, and deletes them;
2. builds the indexes over the loaded articles (`upgrade head`: the back-fills of migrations 0007, trigrams,
   and 0011, bigrams for terms of one or two characters);
3. repeats step 1 with the index in place;
4. runs a fixed query set through `etl.query.articles` (match, rank, total count, 50 rows with snippets): terms
   of one character, of two, of three or more held by many articles or by few, several terms, Traditional; one
   warm-up pass then --rounds timed passes, and reports median and 95th percentile per kind of query, of wall
   time and of CPU time (this process's plus the PostgreSQL backend's, read from /proc when the server runs
   on this machine): on a shared machine the wall time says as much about the other work as about the query.

It prints ratios (write with the index / write without) next to the times: the ratios are the point, absolute
times move with the machine and its load. --query-only repeats step 4 alone on a database this bench built
(upgrading it to the newest schema first), so that a change to the queries is measured without rebuilding
100,000 articles.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.demo import render_articles  # noqa: E402
from crawler.demo.corpus import load_corpus  # noqa: E402
from etl.extract import Extraction, extract  # noqa: E402
from etl.filters import Filters, resolve  # noqa: E402
from etl.query import articles  # noqa: E402
from etl.store import engine as db  # noqa: E402
from etl.store import search  # noqa: E402
from etl.store.articles import ExtractedPage, store_articles  # noqa: E402
from etl.store.models import Article, Page  # noqa: E402

MEDIAN_BODY = 1300  # characters: the shared corpus' real pages, extracted by aidnews
BODY_SIGMA = 0.9  # log-normal spread giving their tenth and ninetieth percentiles
BODY_LIMITS = (150, 12000)
LOAD_BATCH = 2000
WRITE_BATCH = 100  # pages per ETL batch
LIMIT = 50  # rows a listing shows
SENTENCE_END = re.compile(r"(?<=[。！？；])")
DIGITS = re.compile(r"\d+")
QUERIES = {  # kind -> queries; terms of one or two characters are looked up in the bigram index
    "1 character": ["援", "医", "茶", "棚"],
    "2 characters": ["援疆", "疏附", "干部", "学校", "新疆", "疏勒"],
    "3+ characters, common": ["援疆干部", "对口支援", "援疆资金", "农产品", "乡村振兴", "产业园"],
    "3+ characters, rare": ["温室大棚", "职业技能培训", "标准厂房", "远程会诊", "量子计算机"],
    "several terms": ["疏附县 学校", "援疆资金 医院", "上海 援藏干部 日喀则", "援疆 医"],
    "Traditional": ["援疆幹部", "鄉村振興", "醫"],
}


class Timing(NamedTuple):
    seconds: float
    articles: int

    @property
    def per_article_ms(self) -> float:
        return self.seconds / self.articles * 1000


class Corpus(NamedTuple):
    titles: list[str]
    sentences: list[str]


def corpus_text() -> Corpus:
    articles_ = load_corpus()
    sentences = [s for a in articles_ for p in a.paragraphs for s in SENTENCE_END.split(p) if len(s) > 4]
    return Corpus([a.title for a in articles_], sentences)


def _redraw_numbers(text: str, rng: random.Random) -> str:
    return DIGITS.sub(lambda m: str(rng.randint(1, 10 ** len(m.group()) - 1)), text)


def make_text(corpus: Corpus, rng: random.Random) -> tuple[str, str]:
    """A title and a body of a realistic length, built from the corpus' sentences."""
    target = int(min(max(rng.lognormvariate(math.log(MEDIAN_BODY), BODY_SIGMA), BODY_LIMITS[0]), BODY_LIMITS[1]))
    paragraphs, paragraph, length = [], [], 0
    while length < target:
        sentence = _redraw_numbers(rng.choice(corpus.sentences), rng)
        paragraph.append(sentence)
        length += len(sentence)
        if len(paragraph) >= rng.randint(2, 5):
            paragraphs.append("".join(paragraph))
            paragraph = []
    if paragraph:
        paragraphs.append("".join(paragraph))
    return _redraw_numbers(rng.choice(corpus.titles), rng), "\n".join(paragraphs)


def article_rows(count: int, corpus: Corpus, seed: int) -> Iterator[list[dict]]:
    rng = random.Random(seed)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    batch: list[dict] = []
    for i in range(count):
        title, body = make_text(corpus, rng)
        url = f"http://bench.example.cn/a/{i}.html"
        batch.append(
            {
                "url": url,
                "canonical_url": url,
                "source_name": "bench",
                "title": title,
                "body": body,
                "body_original": body,
                "script": "Hans",
                "content_hash": hashlib.sha256(body.encode()).hexdigest(),
                "published_at": start + timedelta(minutes=rng.randint(0, 10 * 365 * 24 * 60)),
                "program": rng.choice(["援疆", "援藏", "援青", "东西部协作"]),
                "garbled_spans": [],
                "images": [],
                "topics": [],
                "extractor_version": "bench",
                "created_at": start,
                "updated_at": start,
            }
        )
        if len(batch) == LOAD_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def migrate(url: str, revision: str) -> float:
    """Move the schema to `revision` (up or down); returns the seconds it took."""
    engine = db.get_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        cfg = db.alembic_config(url)
        cfg.attributes["connection"] = conn
        if revision == "head":
            command.upgrade(cfg, "head")
        else:
            command.downgrade(cfg, revision)
    return time.perf_counter() - started


def load(url: str, count: int, corpus: Corpus) -> float:
    engine = db.get_engine(url)
    started = time.perf_counter()
    for batch in article_rows(count, corpus, seed=1):
        with engine.begin() as conn:
            conn.execute(sa.insert(Article), batch)
    return time.perf_counter() - started


def base_extractions() -> list[Extraction]:
    """Real extractions of the demo portal's article pages, whose text the write test then replaces."""
    out = []
    for page in render_articles():
        try:
            out.append(extract(page.body, url="http://bench.example.cn" + page.path, content_type=page.content_type))
        except ValueError:
            continue
    return out


def write_set(count: int, corpus: Corpus, bases: list[Extraction], seed: int) -> list[Extraction]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        title, body = make_text(corpus, rng)
        out.append(
            dataclasses.replace(
                bases[i % len(bases)],
                canonical_url=f"http://bench.example.cn/w/{i}.html",
                title=title,
                body=body,
                body_original=body,
                content_hash=hashlib.sha256(body.encode()).hexdigest(),
            )
        )
    return out


def pages_for(engine: sa.Engine, count: int) -> list[Page]:
    with Session(engine, expire_on_commit=False) as session:
        pages = [
            Page(
                url=f"http://bench.example.cn/w/{i}.html",
                final_url=f"http://bench.example.cn/w/{i}.html",
                source_name="bench",
                status=200,
                body=b"",
                sha256="0" * 64,
            )
            for i in range(count)
        ]
        session.add_all(pages)
        session.commit()
        return pages


def timed_writes(engine: sa.Engine, pages: list[Page], extractions: list[Extraction]) -> Timing:
    started = time.perf_counter()
    for i in range(0, len(pages), WRITE_BATCH):
        items = [
            ExtractedPage(p, x)
            for p, x in zip(pages[i : i + WRITE_BATCH], extractions[i : i + WRITE_BATCH], strict=True)
        ]
        with Session(engine) as session:
            store_articles(session, items)
            session.commit()
    return Timing(time.perf_counter() - started, len(pages))


def write_costs(
    engine: sa.Engine, pages: list[Page], first: list[Extraction], second: list[Extraction]
) -> dict[str, Timing]:
    """New articles, the same articles with new text (a changed page), then unchanged (a reprocess); deleted."""
    out = {
        "insert": timed_writes(engine, pages, first),
        "replace with new text": timed_writes(engine, pages, second),
        "store unchanged": timed_writes(engine, pages, second),
    }
    with engine.begin() as conn:
        conn.execute(sa.delete(Article).where(Article.canonical_url.like("http://bench.example.cn/w/%")))
    return out


class Clock:
    """Wall time and CPU time of the work a query costs: this process's, plus the PostgreSQL backend's (read
    from /proc where the server runs on this machine). CPU time is what a query costs a machine to itself;
    wall time adds whatever else the machine is doing."""

    def __init__(self, session: Session) -> None:
        self.stat: Path | None = None
        if session.get_bind().dialect.name == "postgresql":
            pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            stat = Path(f"/proc/{pid}/stat")
            self.stat = stat if stat.exists() else None

    def _backend(self) -> float:
        if self.stat is None:
            return 0.0
        fields = self.stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def start(self) -> tuple[float, float]:
        return time.perf_counter(), time.process_time() + self._backend()

    def stop(self, started: tuple[float, float]) -> tuple[float, float]:
        return time.perf_counter() - started[0], time.process_time() + self._backend() - started[1]


def query_latency(url: str, rounds: int) -> dict[str, list[tuple[str, int, list[float], list[float]]]]:
    """Per kind: each query, the articles it matches, and its timed runs (wall and CPU seconds)."""
    engine = db.get_engine(url)
    out: dict[str, list[tuple[str, int, list[float], list[float]]]] = {}
    with Session(engine) as session:
        clock = Clock(session)
        for kind, queries in QUERIES.items():
            out[kind] = []
            for q in queries:
                criteria = resolve(session, Filters(q=q))
                total = articles(session, criteria, limit=LIMIT).total  # warm-up
                walls, cpus = [], []
                for _ in range(rounds):
                    started = clock.start()
                    articles(session, criteria, limit=LIMIT)
                    wall, cpu = clock.stop(started)
                    walls.append(wall)
                    cpus.append(cpu)
                out[kind].append((q, total, walls, cpus))
    return out


def index_bytes(url: str) -> dict[str, int]:
    """Bytes each search index occupies: FTS5's shadow tables (trigrams, bigrams); on PostgreSQL the passages
    with their indexes, and the bigram sets with theirs."""
    engine = db.get_engine(url)
    out = {}
    with engine.connect() as conn:
        for name in ("article_fts", "article_passage", "article_grams"):
            if engine.dialect.name == "sqlite":
                query = f"SELECT SUM(pgsize) FROM dbstat WHERE name LIKE '{name}%'"
            else:
                query = f"SELECT pg_total_relation_size(to_regclass('{name}'))"
            size = int(conn.execute(sa.text(query)).scalar() or 0)
            if size:
                out[name] = size
    return out


def text_bytes(url: str) -> int:
    """Bytes of the titles and bodies indexed (UTF-8)."""
    engine = db.get_engine(url)
    size = "LENGTH(CAST({} AS BLOB))" if engine.dialect.name == "sqlite" else "octet_length({})"
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(f"SELECT SUM({size.format('title')}) + SUM({size.format('body')}) FROM article")
            ).scalar()
            or 0
        )


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def bench(name: str, url: str, args: argparse.Namespace, corpus: Corpus, bases: list[Extraction]) -> None:
    print(f"\n== {name}")
    db.upgrade(url)
    migrate(url, "0006")
    print(f"loaded {args.articles:,} articles in {load(url, args.articles, corpus):.0f} s")
    engine = db.get_engine(url)
    pages = pages_for(engine, args.writes)
    first = write_set(args.writes, corpus, bases, seed=2)
    second = write_set(args.writes, corpus, bases, seed=3)
    plain = write_costs(engine, pages, first, second)
    backfill = migrate(url, "head")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE article")
    print(f"indexes built over {args.articles:,} articles in {backfill:.0f} s")
    print_sizes(url)
    indexed = write_costs(engine, pages, first, second)
    print(f"ETL writes of {args.writes:,} articles in batches of {WRITE_BATCH} (ms per article):")
    for step in plain:
        ratio = indexed[step].seconds / plain[step].seconds
        print(
            f"  {step:<22} without index {plain[step].per_article_ms:6.2f}  with index "
            f"{indexed[step].per_article_ms:6.2f}  ratio {ratio:.2f}"
        )
    report_latency(url, args.rounds)


def print_sizes(url: str) -> None:
    sizes, text = index_bytes(url), text_bytes(url)
    for name, size in sizes.items():
        print(f"  {name:<16} {size / 2**20:6.0f} MB ({size / text:.2f}x the {text / 2**20:.0f} MB of title and body)")


def report_latency(url: str, rounds: int) -> None:
    results = query_latency(url, rounds)
    print(
        f"query latency through etl.query.articles (match, rank, count, {LIMIT} rows with snippets), "
        f"{rounds} runs each after a warm-up; wall ms, and CPU ms (client + database); "
        f"a match count of {search.ranked_at_most(db.get_engine(url).dialect.name):,} means 'more than that':"
    )
    every_wall: list[float] = []
    every_cpu: list[float] = []
    for kind, queries in results.items():
        walls = [t for _, _, ts, _ in queries for t in ts]
        cpus = [t for _, _, _, ts in queries for t in ts]
        every_wall += walls
        every_cpu += cpus
        print(
            f"  {kind:<24} wall median {_ms(statistics.median(walls))} p95 {_ms(p95(walls))}   "
            f"CPU median {_ms(statistics.median(cpus))} p95 {_ms(p95(cpus))}"
        )
        for q, total, ts, cs in queries:
            print(
                f"      {q:<14} {total:>7,} matches  wall {_ms(statistics.median(ts))}  "
                f"CPU {_ms(statistics.median(cs))}"
            )
    print(
        f"  {'all queries':<24} wall median {_ms(statistics.median(every_wall))} p95 {_ms(p95(every_wall))}   "
        f"CPU median {_ms(statistics.median(every_cpu))} p95 {_ms(p95(every_cpu))}"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--pg",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="an admin URL for a throw-away PostgreSQL database ('' to skip)",
    )
    parser.add_argument(
        "--query-only",
        metavar="URL",
        help="only time the queries (and report index sizes) on an existing database built by this bench",
    )
    parser.add_argument(
        "--only",
        choices=("sqlite", "postgresql"),
        help="bench one database only (a 100,000-article build takes tens of minutes on each)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the PostgreSQL database it built and print its URL, for later --query-only runs",
    )
    args = parser.parse_args()
    if args.query_only:
        print(f"== {db.describe(args.query_only)}")
        db.upgrade(args.query_only)
        print_sizes(args.query_only)
        report_latency(args.query_only, args.rounds)
        return 0
    corpus = corpus_text()
    bases = base_extractions()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'search.db'}"
            bench("SQLite (FTS5: trigrams, and bigrams for short terms)", url, args, corpus, bases)
            db.get_engine(url).dispose()
    if not args.pg or args.only == "sqlite":
        return 0
    name = f"aidnews_bench_search_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        print(f"\nPostgreSQL skipped: {str(exc).splitlines()[0]}")
        return 0
    url = sa.engine.make_url(args.pg).set(database=name).render_as_string(hide_password=False)
    try:
        bench(
            "PostgreSQL (sentence passages with pg_trgm GIN; bigram tsvector GIN for short terms)",
            url,
            args,
            corpus,
            bases,
        )
    finally:
        db.get_engine(url).dispose()
        if args.keep:
            print(f"\nkept for --query-only: {url}")
        else:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
