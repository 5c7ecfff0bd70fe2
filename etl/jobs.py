"""The jobs: a crawl (in a child process), an ETL pass over stored pages, and maintenance.

Each job records itself in the `run` table. One page's failure is recorded on that page and never rolls
back the others; a crashed or overrunning crawl is recorded with its exit code, stderr tail or time-out.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session

from crawler.config import DEFAULT_KEYWORDS, ConfigError, SourceConfig, parse_source
from crawler.urls import canonical_url, host_allowed
from etl.db import get_engine
from etl.dedup import DuplicateIndex
from etl.extract import EXTRACTOR_VERSION, Extraction, choose_key, extract
from etl.models import Article, Metric, Page, Run, Source, utcnow
from etl.text.script import to_simplified

log = logging.getLogger("aidnews.jobs")

NEAR_DUPLICATE_DISTANCE = 10  # SimHash bits: on the test portal, copies differ by 0-6, other articles by 15+
STDERR_TAIL = 4000


# -- runs --------------------------------------------------------------------------------------------------------

def start_run(kind: str, source_name: str | None = None, engine: sa.Engine | None = None) -> int:
    engine = engine or get_engine()
    with Session(engine) as session:
        run = Run(kind=kind, source_name=source_name, pid=os.getpid())
        session.add(run)
        session.commit()
        assert run.id is not None
        return run.id


def finish_run(run_id: int, status: str, counts: dict[str, Any] | None = None, error: str | None = None,
               engine: sa.Engine | None = None) -> Run:
    engine = engine or get_engine()
    with Session(engine, expire_on_commit=False) as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.status = status
        run.finished_at = utcnow()
        if counts:
            merged = dict(run.counts or {})
            merged.update(counts)
            run.counts = merged
        if error:
            run.error = error[-STDERR_TAIL:]
        session.add(run)
        session.commit()
        log.info("run finished", extra={"run": _run_summary(run)})
        return run


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale_runs(engine: sa.Engine | None = None) -> int:
    """Mark runs left 'running' by a process that no longer exists (killed, machine restarted) as crashed."""
    engine = engine or get_engine()
    reaped = 0
    with Session(engine) as session:
        for run in session.execute(sa.select(Run).where(Run.status == "running")).scalars():
            if not _alive(run.pid):
                run.status = "crashed"
                run.finished_at = run.finished_at or utcnow()
                run.error = run.error or f"process {run.pid} ended without recording the run's end"
                session.add(run)
                reaped += 1
        session.commit()
    return reaped


def _run_summary(run: Run) -> dict[str, Any]:
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {"id": run.id, "kind": run.kind, "source": run.source_name, "status": run.status,
            "seconds": round(seconds, 2) if seconds is not None else None, "counts": run.counts,
            "error": (run.error or "")[-300:] or None}


def sync_sources(sources: Sequence[SourceConfig], engine: sa.Engine | None = None) -> None:
    """Mirror the configured sources into the `source` table."""
    engine = engine or get_engine()
    with Session(engine) as session:
        existing = {s.name: s for s in session.exec(sa.select(Source)).scalars()}  # type: ignore[call-overload]
        for config in sources:
            row = existing.get(config.name) or Source(name=config.name)
            row.config = config.as_dict()
            row.enabled = config.enabled
            row.updated_at = utcnow()
            session.add(row)
        session.commit()


# -- crawl -------------------------------------------------------------------------------------------------------

class CrawlStopped(Exception):
    """The crawl was asked to stop (service shutdown)."""


def crawl(sources: Sequence[SourceConfig], *, time_limit: float = 3600.0, revisit: bool = False,
          contact: str | None = None, fast: bool = False, source_label: str | None = None,
          should_stop: Callable[[], bool] | None = None, engine: sa.Engine | None = None,
          progress: Callable[[int], None] | None = None, workers: int = 1, redis_url: str | None = None) -> Run:
    """Run one Scrapy crawl of `sources` in a child process (or `workers` processes sharing a Redis frontier).

    The children get SIGINT (Scrapy's graceful shutdown) when the time limit passes or `should_stop` says so,
    and SIGKILL if they have not finished 20 s later. `progress`, when given, is called about once a second
    with the number of pages stored so far.
    """
    engine = engine or get_engine()
    if workers > 1 and not redis_url:
        raise ValueError("a crawl with several workers needs a Redis URL for their shared frontier")
    sync_sources(sources, engine)
    run_id = start_run("crawl", source_label or ",".join(s.name for s in sources), engine)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump([s.as_dict() for s in sources], fh, ensure_ascii=False)
        sources_file = fh.name
    cmd = [sys.executable, "-m", "crawler.run", "--run-id", str(run_id), "--sources", sources_file]
    if revisit:
        cmd.append("--revisit")
    if contact:
        cmd += ["--contact", contact]
    if fast:
        cmd.append("--fast")
    if redis_url:
        cmd += ["--redis", redis_url]
    env = dict(os.environ, DATABASE_URL=str(engine.url.render_as_string(hide_password=False)),
               PYTHONIOENCODING="utf-8")
    stderr_files = [tempfile.TemporaryFile() for _ in range(max(1, workers))]
    status, error = "ok", None
    try:
        children = [subprocess.Popen(cmd + (["--follower"] if i else []), stdout=subprocess.DEVNULL,
                                     stderr=stderr_files[i], env=env) for i in range(len(stderr_files))]
        with Session(engine) as session:
            run = session.get(Run, run_id)
            assert run is not None
            run.pid = children[0].pid
            session.add(run)
            session.commit()
        deadline = time.monotonic() + time_limit
        stop_sent_at: float | None = None
        last_report = time.monotonic()
        while any(child.poll() is None for child in children):
            time.sleep(0.2)
            if progress is not None and time.monotonic() - last_report >= 1:
                last_report = time.monotonic()
                with engine.connect() as conn:
                    progress(conn.execute(sa.select(sa.func.count(Page.id)).where(Page.run_id == run_id)).scalar_one())
            stopping = should_stop is not None and should_stop()
            if stop_sent_at is None and (stopping or time.monotonic() > deadline):
                status = "interrupted" if stopping else "timeout"
                for child in children:
                    if child.poll() is None:
                        child.send_signal(signal.SIGINT)
                stop_sent_at = time.monotonic()
            elif stop_sent_at is not None and time.monotonic() - stop_sent_at > 20:
                for child in children:
                    if child.poll() is None:
                        child.kill()
        failed = [(i, child.returncode) for i, child in enumerate(children) if child.returncode != 0]
        if status == "timeout":
            error = f"stopped after its time limit of {time_limit:.0f} s"
        elif status == "interrupted":
            error = "stopped by service shutdown"
        elif failed:
            status = "failed"
            index, code = failed[0]
            stderr_files[index].seek(0)
            tail = stderr_files[index].read()[-STDERR_TAIL:].decode("utf-8", "replace")
            error = f"crawler exited with code {code}: {tail.strip()[-2000:]}"
    finally:
        for fh in stderr_files:
            fh.close()
        os.unlink(sources_file)
        if redis_url:
            from crawler import frontier

            frontier.clear(redis_url, run_id)
    return finish_run(run_id, status, error=error, engine=engine)


# -- ETL ---------------------------------------------------------------------------------------------------------

def configured_sources(session: Session) -> dict[str, SourceConfig]:
    """The sources as last mirrored from sources.toml (a source whose stored config no longer parses is left out)."""
    out = {}
    for name, config in session.execute(sa.select(Source.name, Source.config)).all():
        try:
            out[name] = parse_source(dict(config, name=name), "stored source")
        except ConfigError:
            log.warning("stored config of source %s no longer parses; using defaults for its pages", name)
    return out


def article_key(page: Page, x: Extraction, sources: dict[str, SourceConfig]) -> str:
    """The canonical URL an article is stored under, judged with the page's source configuration."""
    source = sources.get(page.source_name or "")
    same_source = None if source is None else (
        lambda url: host_allowed(urlsplit(url).hostname, source.allowed_domains) and source.is_article(url))
    return choose_key(canonical_url(page.final_url), x.declared_canonical, same_source) or page.final_url


def about_aid(extraction: Extraction, keywords: Iterable[str]) -> bool:
    text = (extraction.title or "") + "\n" + extraction.body
    return any(to_simplified(k) in text for k in keywords)


def _article_values(page: Page, x: Extraction) -> dict[str, Any]:
    e = x.entities
    provider, recipient = e.provider, e.recipient
    return {
        "page_id": page.id, "source_name": page.source_name, "url": page.final_url,
        "canonical_url": x.canonical_url or page.final_url, "title": x.title, "subtitle": x.subtitle,
        "published_at": x.published_at, "news_source": x.source, "author": x.author, "editor": x.editor,
        "body": x.body, "body_original": x.body_original, "script": x.script,
        "pinyin_stripped": x.pinyin_stripped, "garbled_found": x.garbled_found,
        "garbled_repaired": x.garbled_repaired, "garbled_spans": x.garbled_spans,
        "images": x.images, "content_hash": x.content_hash, "simhash": x.simhash,
        "program": e.program,
        "provider_province": provider.province if provider else None,
        "provider_prefecture": provider.prefecture if provider else None,
        "provider_county": provider.county if provider else None,
        "provider_inferred": bool(provider and provider.inferred),
        "recipient_province": recipient.province if recipient else None,
        "recipient_prefecture": recipient.prefecture if recipient else None,
        "recipient_county": recipient.county if recipient else None,
        "recipient_inferred": bool(recipient and recipient.inferred),
        "batch": e.batch, "period_start": e.period_start, "period_end": e.period_end, "topics": list(e.topics),
        "extractor_version": x.extractor_version, "updated_at": utcnow(),
    }


def store_articles(session: Session, items: Sequence[tuple[Page, Extraction]]) -> list[int]:
    """Insert or replace the articles of a batch (keyed by canonical URL) and replace their metrics.

    Set-wise: one query finds the existing articles, one statement inserts the new ones, one updates the
    others, one deletes their old metrics and one inserts all metrics. Returns the article ids, in order.
    """
    latest: dict[str, tuple[Page, Extraction]] = {}
    for page, x in items:  # two pages with one canonical URL in a batch: the later one wins
        latest[x.canonical_url or page.final_url] = (page, x)
    values = {key: _article_values(page, x) for key, (page, x) in latest.items()}
    existing: dict[str, int] = dict(session.execute(  # type: ignore[arg-type]
        sa.select(Article.canonical_url, Article.id).where(Article.canonical_url.in_(list(values)))).all())
    replaced = [dict(v, _id=existing[key]) for key, v in values.items() if key in existing]
    fresh = [v for key, v in values.items() if key not in existing]
    if fresh:
        inserted = session.execute(
            sa.insert(Article).returning(Article.id, Article.canonical_url, sort_by_parameter_order=True), fresh
        ).all()
        existing.update({url: article_id for article_id, url in inserted})
    if replaced:
        table = Article.__table__  # Core statements: executemany, not the ORM's bulk-by-primary-key mode
        columns = {k: sa.bindparam(k) for k in replaced[0] if k != "_id"}
        session.connection().execute(table.update().where(table.c.id == sa.bindparam("_id")).values(**columns),
                                     replaced)
        session.execute(sa.delete(Metric).where(Metric.article_id.in_([r["_id"] for r in replaced])))
    metric_rows = [dict(asdict(m), article_id=existing[key]) for key, (_, x) in latest.items() for m in x.metrics]
    if metric_rows:
        session.execute(sa.insert(Metric), metric_rows)
    return [existing[x.canonical_url or page.final_url] for page, x in items]


def load_duplicate_index(session: Session) -> DuplicateIndex:
    index = DuplicateIndex(NEAR_DUPLICATE_DISTANCE)
    rows = session.execute(sa.select(Article.id, Article.content_hash, Article.simhash, Article.published_at,
                                     Article.duplicate_of))
    for article_id, content_hash, sim, published, duplicate_of in rows:
        index.add(article_id, content_hash, sim, _primary_key(published, article_id), duplicate_of)
    return index


def _primary_key(published: datetime | None, article_id: int) -> tuple:
    return (published or datetime.max.replace(tzinfo=UTC), article_id)


def mark_duplicates(session: Session, index: DuplicateIndex, stored: Sequence[tuple[int, Extraction]]) -> int:
    """Point exact copies (content hash) and near copies (SimHash) of each article at the earliest one.

    Only rows whose primary changes are written.
    """
    changes: dict[int, int | None] = {}
    for article_id, x in dict(stored).items():
        index.add(article_id, x.content_hash, x.simhash, _primary_key(x.published_at, article_id),
                  index.duplicate_of(article_id))
        group = index.group(article_id)
        primary = group[0]
        for member in group:
            wanted = None if member == primary else primary
            if index.duplicate_of(member) != wanted:
                index.set_duplicate_of(member, wanted)
                changes[member] = wanted
    if changes:
        table = Article.__table__
        session.connection().execute(
            table.update().where(table.c.id == sa.bindparam("_id")).values(duplicate_of=sa.bindparam("_dup")),
            [{"_id": member, "_dup": target} for member, target in changes.items()],
        )
    return sum(1 for article_id, _ in stored if index.duplicate_of(article_id) is not None)


PARALLEL_MIN_PAGES = 300  # below this, starting extraction processes costs more than it saves


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def etl_pass(*, batch_size: int = 100, limit: int | None = None, reprocess: bool = False,
             since: datetime | None = None, engine: sa.Engine | None = None,
             progress: Callable[[int], None] | None = None, should_stop: Callable[[], bool] | None = None,
             workers: int | None = None) -> Run:
    """Turn pending pages into articles and metrics, batch by batch, and record the run.

    Extraction (the CPU-bound part) runs in `workers` processes when enough pages are pending; this process
    reads pages and writes each batch in one transaction.
    """
    engine = engine or get_engine()
    run_id = start_run("etl", None, engine)
    counts: Counter[str] = Counter()
    status = "ok"
    pool: ProcessPoolExecutor | None = None
    try:
        if reprocess:
            with engine.begin() as conn:
                query = sa.update(Page).where(Page.kind == "article", Page.status == 200)
                if since is not None:
                    query = query.where(Page.fetched_at >= since)
                counts["requeued"] = conn.execute(query.values(etl_status="pending", etl_error=None)).rowcount
        with Session(engine) as session:
            index = load_duplicate_index(session)
            pending = session.execute(
                sa.select(sa.func.count(Page.id)).where(Page.etl_status == "pending")).scalar_one()
        workers = default_workers() if workers is None else workers
        if workers > 1 and min(pending, limit or pending) >= PARALLEL_MIN_PAGES:
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            batch_size = max(batch_size, 25 * workers)
        last_id = 0
        while limit is None or counts["pages"] < limit:
            if should_stop is not None and should_stop():
                status = "interrupted"
                break
            size = batch_size if limit is None else min(batch_size, limit - counts["pages"])
            with Session(engine) as session:
                ids = session.exec(  # type: ignore[call-overload]
                    sa.select(Page.id).where(Page.etl_status == "pending", Page.id > last_id)
                    .order_by(Page.id).limit(size)
                ).scalars().all()
            if not ids:
                break
            last_id = ids[-1]
            _process_batch(engine, ids, counts, index, pool)
            if progress is not None:
                progress(len(ids))
    except Exception as exc:
        log.exception("ETL run %s failed", run_id)
        return finish_run(run_id, "failed", dict(counts), error=f"{type(exc).__name__}: {exc}", engine=engine)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if pool is not None:
        counts["workers"] = workers
    return finish_run(run_id, status, dict(counts), engine=engine)


def extract_page(job: tuple[bytes, str, str | None, str | None]) -> tuple[Extraction | None, str | None]:
    """Extract one stored page: (extraction, None) or (None, the error). Runs in worker processes too."""
    body, url, content_type, selector = job
    try:
        return extract(zlib.decompress(body), url=url, content_type=content_type, body_selector=selector), None
    except Exception as exc:  # any failure belongs to this page alone
        return None, f"{type(exc).__name__}: {exc}"


def _process_batch(engine: sa.Engine, ids: Sequence[int], counts: Counter[str], index: DuplicateIndex,
                   pool: ProcessPoolExecutor | None = None) -> None:
    with Session(engine) as session:
        sources = configured_sources(session)
        pages = session.exec(sa.select(Page).where(Page.id.in_(ids)).order_by(Page.id)).scalars().all()  # type: ignore[call-overload]
    selectors = {name: source.body_selector for name, source in sources.items()}
    jobs_ = [(p.body, p.final_url, p.content_type, selectors.get(p.source_name or "")) for p in pages]
    extracted = list(pool.map(extract_page, jobs_, chunksize=4) if pool else map(extract_page, jobs_))
    results: list[tuple[Page, Extraction | None, str, str | None]] = []
    for page, (x, error) in zip(pages, extracted, strict=True):
        counts["pages"] += 1
        if x is None:
            results.append((page, None, "error", error))
        elif not about_aid(x, sources[page.source_name].keywords if page.source_name in sources else DEFAULT_KEYWORDS):
            results.append((page, None, "skipped", "not about aid work: none of the source's keywords occurs"))
        else:
            x.canonical_url = article_key(page, x, sources)
            results.append((page, x, "done", None))
    try:
        _write_batch(engine, results, counts, index)
    except Exception:  # the batch write failed: fall back to one transaction per page, so one bad page costs one
        log.warning("batch write failed, retrying page by page", exc_info=True)
        for result in results:
            try:
                _write_batch(engine, [result], counts, index)
            except Exception as exc:
                page = result[0]
                with engine.begin() as conn:
                    conn.execute(sa.update(Page).where(Page.id == page.id).values(
                        etl_status="error", etl_error=f"{type(exc).__name__}: {exc}"[:2000], processed_at=utcnow()))
                counts["errors"] += 1


def _write_batch(engine: sa.Engine, results: Sequence[tuple[Page, Extraction | None, str, str | None]],
                 counts: Counter[str], index: DuplicateIndex) -> None:
    """Write one batch in one transaction: articles, metrics, duplicate links and page states, or nothing."""
    local: Counter[str] = Counter()
    snapshot = index.snapshot()
    try:
        with Session(engine) as session:
            items = [(page, x) for page, x, _, _ in results if x is not None]
            ids = store_articles(session, items) if items else []
            local["articles"] += len(items)
            local["metrics"] += sum(len(x.metrics) for _, x in items)
            for _, x, status, _ in results:
                if x is None:
                    local["errors" if status == "error" else "skipped"] += 1
            now = utcnow()
            pages = Page.__table__
            session.connection().execute(
                pages.update().where(pages.c.id == sa.bindparam("_id")).values(
                    etl_status=sa.bindparam("_status"), etl_error=sa.bindparam("_error"),
                    extractor_version=EXTRACTOR_VERSION, processed_at=now,
                ),
                [{"_id": page.id, "_status": status, "_error": error[:2000] if error else None}
                 for page, _, status, error in results],
            )
            local["duplicates"] += mark_duplicates(session, index, list(zip(ids, (x for _, x in items), strict=True)))
            session.commit()
    except BaseException:
        index.restore(snapshot)  # the transaction rolled back: so does the index
        raise
    counts.update(local)


# -- maintenance -------------------------------------------------------------------------------------------------

def maintenance(retention_days: int = 180, engine: sa.Engine | None = None) -> Run:
    """Prune old raw page versions (never the newest of a URL, nor one an article points at), then ANALYZE."""
    engine = engine or get_engine()
    run_id = start_run("maintenance", None, engine)
    cutoff = utcnow() - timedelta(days=retention_days)
    try:
        with engine.begin() as conn:
            newest = sa.select(sa.func.max(Page.id)).group_by(Page.url)
            referenced = sa.select(Article.page_id).where(Article.page_id.is_not(None))
            pruned = conn.execute(sa.delete(Page).where(
                Page.fetched_at < cutoff, Page.id.not_in(newest), Page.id.not_in(referenced),
                Page.etl_status != "pending")).rowcount
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            raw = engine.raw_connection()
            try:
                raw.execute("VACUUM")  # type: ignore[attr-defined]
            finally:
                raw.close()
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    except Exception as exc:
        return finish_run(run_id, "failed", error=f"{type(exc).__name__}: {exc}", engine=engine)
    return finish_run(run_id, "ok", {"pages_pruned": pruned}, engine=engine)
