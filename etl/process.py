"""The ETL loop: pending pages in, articles, metrics and duplicate links out, batch by batch.

One pass works through the pending pages in id order. Extraction (the CPU-bound part) runs in worker
processes when enough pages wait; this process reads each batch and writes it in one transaction. One
page's failure is recorded on that page and never rolls back the others; a failed batch write is retried
page by page. The duplicate index lives in memory for the pass and rolls back with a failed transaction.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session

from etl.dedup import DuplicateIndex
from etl.extract import EXTRACTOR_VERSION, Extraction, choose_key, extract
from etl.sources import DEFAULT_KEYWORDS, SourceConfig
from etl.store.articles import ExtractedPage, StoredArticle, load_duplicate_index, mark_duplicates, store_articles
from etl.store.engine import get_engine
from etl.store.models import Page, Run
from etl.store.pages import PageOutcome, PageState, count_pending, next_pending_ids, record_outcomes, requeue
from etl.store.runs import RunKind, RunStatus, finish_run, start_run
from etl.store.sources import configured_sources
from etl.text.script import to_simplified
from etl.urls import canonical_url, host_allowed

log = logging.getLogger("aidnews.etl")

PARALLEL_MIN_PAGES = 300  # below this, starting extraction processes costs more than it saves
MAX_DEFAULT_WORKERS = 4  # extraction processes by default; the writer, one process, is the limit past this
PAGES_PER_WORKER_BATCH = 25  # a parallel batch gives each worker this many pages at least
WORKER_CHUNK = 4  # pages handed to a worker at a time


@dataclass(frozen=True)
class PageJob:
    """What extracting one stored page needs; small and picklable, for the worker processes."""

    body: bytes  # zlib-compressed, as stored
    url: str
    content_type: str | None
    body_selector: str | None


@dataclass(frozen=True)
class Extracted:
    """One page's extraction, or the error that stopped it."""

    extraction: Extraction | None
    error: str | None = None


@dataclass(frozen=True)
class PageResult:
    """A page of the batch and what becomes of it: an article (with its extraction), skipped, or an error."""

    page: Page
    state: PageState
    extraction: Extraction | None = None
    reason: str | None = None

    @property
    def outcome(self) -> PageOutcome:
        assert self.page.id is not None
        return PageOutcome(self.page.id, self.state, self.reason)


def default_workers() -> int:
    return max(1, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1))


def etl_pass(*, batch_size: int = 100, limit: int | None = None, reprocess: bool = False,
             since: datetime | None = None, engine: sa.Engine | None = None,
             progress: Callable[[int], None] | None = None, should_stop: Callable[[], bool] | None = None,
             workers: int | None = None) -> Run:
    """Turn pending pages into articles and metrics, batch by batch, and record the run.

    `reprocess` first puts every stored article page (fetched since `since`) back in the queue, for a new
    extractor. `progress` hears the number of pages of each finished batch; `should_stop` is asked between
    batches.
    """
    engine = engine or get_engine()
    run_id = start_run(RunKind.ETL, None, engine)
    counts: Counter[str] = Counter()
    written: dict[int, int] = {}  # article id -> figures it holds after its latest write in this pass
    status = RunStatus.OK
    index: DuplicateIndex | None = None
    pool: ProcessPoolExecutor | None = None
    try:
        if reprocess:
            counts["requeued"] = requeue(engine, since)
        with Session(engine) as session:
            index = load_duplicate_index(session)
        pending = count_pending(engine)
        workers = default_workers() if workers is None else workers
        if workers > 1 and min(pending, limit or pending) >= PARALLEL_MIN_PAGES:
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            batch_size = max(batch_size, PAGES_PER_WORKER_BATCH * workers)
        last_id = 0
        while limit is None or counts["pages"] < limit:
            if should_stop is not None and should_stop():
                status = RunStatus.INTERRUPTED
                break
            size = batch_size if limit is None else min(batch_size, limit - counts["pages"])
            ids = next_pending_ids(engine, last_id, size)
            if not ids:
                break
            last_id = ids[-1]
            _process_batch(engine, ids, counts, index, pool, written)
            if progress is not None:
                progress(len(ids))
    except Exception as exc:
        log.exception("ETL run %s failed", run_id)
        return finish_run(run_id, RunStatus.FAILED, _stored(counts, written, index),
                          error=f"{type(exc).__name__}: {exc}", engine=engine)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if pool is not None:
        counts["workers"] = workers
    return finish_run(run_id, status, _stored(counts, written, index), engine=engine)


def _stored(counts: Counter[str], written: dict[int, int], index: DuplicateIndex | None) -> dict[str, int]:
    """The run's counts, with articles, figures and copies as stored: an article written twice in a pass (two
    pages with one canonical URL) counts once, with the figures of its last write."""
    return dict(counts, articles=len(written), metrics=sum(written.values()),
                duplicates=sum(1 for article_id in written if index and index.duplicate_of(article_id) is not None))


def extract_page(job: PageJob) -> Extracted:
    """Extract one stored page, or say why not. Runs in worker processes too."""
    try:
        return Extracted(extract(zlib.decompress(job.body), url=job.url, content_type=job.content_type,
                                 body_selector=job.body_selector))
    except Exception as exc:  # any failure belongs to this page alone
        return Extracted(None, f"{type(exc).__name__}: {exc}")


def about_aid(extraction: Extraction, keywords: Iterable[str]) -> bool:
    text = (extraction.title or "") + "\n" + extraction.body
    return any(to_simplified(k) in text for k in keywords)


def article_key(page: Page, x: Extraction, sources: dict[str, SourceConfig]) -> str:
    """The canonical URL an article is stored under, judged with the page's source configuration."""
    source = sources.get(page.source_name or "")
    same_source = None if source is None else (
        lambda url: host_allowed(urlsplit(url).hostname, source.allowed_domains) and source.is_article(url))
    return choose_key(canonical_url(page.final_url), x.declared_canonical, same_source) or page.final_url


def _judge(page: Page, extracted: Extracted, sources: dict[str, SourceConfig]) -> PageResult:
    x = extracted.extraction
    if x is None:
        return PageResult(page, PageState.ERROR, reason=extracted.error)
    source = sources.get(page.source_name or "")
    if not about_aid(x, source.keywords if source else DEFAULT_KEYWORDS):
        return PageResult(page, PageState.SKIPPED, reason="not about aid work: none of the source's keywords occurs")
    x.canonical_url = article_key(page, x, sources)
    return PageResult(page, PageState.DONE, extraction=x)


def _process_batch(engine: sa.Engine, ids: Sequence[int], counts: Counter[str], index: DuplicateIndex,
                   pool: ProcessPoolExecutor | None = None, written: dict[int, int] | None = None) -> None:
    with Session(engine) as session:
        sources = configured_sources(session)
        pages = session.exec(sa.select(Page).where(Page.id.in_(ids)).order_by(Page.id)).scalars().all()  # type: ignore[call-overload]
    jobs = [PageJob(p.body, p.final_url, p.content_type, sources[p.source_name].body_selector
                    if p.source_name in sources else None) for p in pages]
    extracted = pool.map(extract_page, jobs, chunksize=WORKER_CHUNK) if pool else map(extract_page, jobs)
    results = [_judge(page, result, sources) for page, result in zip(pages, extracted, strict=True)]
    counts["pages"] += len(results)
    try:
        _write_batch(engine, results, counts, index, written)
    except Exception:  # the batch write failed: fall back to one transaction per page, so one bad page costs one
        log.warning("batch write failed, retrying page by page", exc_info=True)
        for result in results:
            try:
                _write_batch(engine, [result], counts, index, written)
            except Exception as exc:
                failed = PageResult(result.page, PageState.ERROR, reason=f"{type(exc).__name__}: {exc}")
                with engine.begin() as conn:
                    record_outcomes(conn, [failed.outcome], EXTRACTOR_VERSION)
                counts["errors"] += 1


def _write_batch(engine: sa.Engine, results: Sequence[PageResult], counts: Counter[str], index: DuplicateIndex,
                 written: dict[int, int] | None = None) -> None:
    """Write one batch in one transaction: articles, metrics, duplicate links and page states, or nothing.

    `written` hears, once the transaction is committed, each article written and how many figures it holds now.
    """
    local: Counter[str] = Counter()
    snapshot = index.snapshot()
    try:
        with Session(engine) as session:
            items = [ExtractedPage(r.page, r.extraction) for r in results if r.extraction is not None]
            ids = store_articles(session, items) if items else []
            figures = {article_id: len(item.extraction.metrics) for article_id, item in zip(ids, items, strict=True)}
            for result in results:
                if result.state is PageState.ERROR:
                    local["errors"] += 1
                elif result.state is PageState.SKIPPED:
                    local["skipped"] += 1
            record_outcomes(session.connection(), [r.outcome for r in results], EXTRACTOR_VERSION)
            stored = [StoredArticle(article_id, item.extraction) for article_id, item in zip(ids, items, strict=True)]
            mark_duplicates(session, index, stored)
            session.commit()
    except BaseException:
        index.restore(snapshot)  # the transaction rolled back: so does the index
        raise
    counts.update(local)
    if written is not None:
        written.update(figures)
