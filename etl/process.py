"""The ETL loop: pending pages in, articles, metrics and duplicate links out, batch by batch.

One pass works through the pending pages in id order. Extraction (the CPU-bound part) runs in worker
processes when enough pages wait; this process reads each batch and writes it in one transaction. One
page's failure is recorded on that page and never rolls back the others; a failed batch write is retried
page by page. The duplicate index lives in memory for the pass and rolls back with a failed transaction.

A lost database connection (a server restart) is not a page's fault: the batch is tried again after a
back-off (etl.store.engine.with_retries), and only when the server stays away does the run end `failed`,
recorded as soon as the server is back. SIGTERM/SIGINT/SIGHUP of a command-line pass end it after the
batch in flight, recorded `interrupted` (etl.stopping). Runs left `running` by dead processes are reaped
when a pass starts.

On PostgreSQL a pass takes its batches through leases (etl.store.claims) and ends each batch write under one
advisory lock, so any number of passes (`aidnews etl --worker`, etl.workers) can share the pending pages and one
duplicate index; on SQLite it reads them in id order, alone.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, col, select

from etl.dedup import DuplicateIndex
from etl.extract import EXTRACTOR_VERSION, Extraction, choose_key, extract
from etl.sources import DEFAULT_KEYWORDS, SourceConfig, pattern_timeouts
from etl.staleness import catch_up
from etl.stopping import stop_on_signals
from etl.store.articles import ExtractedPage, StoredArticle, load_duplicate_index, mark_duplicates, store_articles
from etl.store.claims import Candidate, Claims, restamp, stored_keys, supported
from etl.store.engine import error_summary, get_engine, transient, with_retries
from etl.store.models import Page, Run
from etl.store.pages import PageOutcome, PageState, count_pending, next_pending_ids, record_outcomes, requeue
from etl.store.runs import RunKind, RunStatus, finish_run, reap_stale_runs, start_run
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


def etl_pass(
    *,
    batch_size: int = 100,
    limit: int | None = None,
    reprocess: bool = False,
    since: datetime | None = None,
    engine: sa.Engine | None = None,
    progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int | None = None,
    claims: Claims | None = None,
) -> Run:
    """Turn pending pages into articles and metrics, batch by batch, and record the run.

    `reprocess` first puts every stored article page (fetched since `since`) back in the queue, for a new
    extractor; without it, a bounded batch of the pages whose articles an older extractor built goes back
    (etl.staleness). `progress` hears the number of pages of each finished batch; `should_stop` is asked between
    batches. On PostgreSQL the pass claims its pages (`claims`, or leases of its own) so that other passes can run
    beside it.
    """
    engine = engine or get_engine()
    if claims is None and supported(engine):
        claims = Claims()
    with_retries(lambda: reap_stale_runs(engine), "reaping stale runs")
    with stop_on_signals() as signalled:
        stop = signalled if should_stop is None else (lambda: signalled() or should_stop())
        run_id = with_retries(lambda: start_run(RunKind.ETL, None, engine), "starting the ETL run")
        counts: Counter[str] = Counter()
        status, error = _run_pass(
            engine,
            counts,
            batch_size=batch_size,
            limit=limit,
            reprocess=reprocess,
            since=since,
            progress=progress,
            should_stop=stop,
            workers=workers,
            claims=claims,
        )
        for timeout in pattern_timeouts():
            counts["pattern_timeouts"] += 1
            log.warning("URL pattern %r timed out on %s", timeout.pattern, timeout.url[:200])
        return with_retries(
            lambda: finish_run(run_id, status, dict(counts), error=error, engine=engine),
            "recording the end of the ETL run",
        )


def _run_pass(
    engine: sa.Engine,
    counts: Counter[str],
    *,
    batch_size: int,
    limit: int | None,
    reprocess: bool,
    since: datetime | None,
    progress: Callable[[int], None] | None,
    should_stop: Callable[[], bool],
    workers: int | None,
    claims: Claims | None = None,
) -> tuple[RunStatus, str | None]:
    """The pass itself: its status, and its error when it failed. `counts` ends with the articles, figures and
    copies as stored (`_settle`)."""
    written: dict[int, int] = {}  # article id -> figures it holds after its latest write in this pass
    refused: list[str] = []  # why each page the database would not store was refused
    status = RunStatus.OK
    index: DuplicateIndex | None = None
    pool: ProcessPoolExecutor | None = None
    try:
        if reprocess:
            counts["requeued"] = with_retries(lambda: requeue(engine, since), "requeueing pages")
        else:  # articles an older extractor built are brought up to date a bounded batch at a time
            counts.update(with_retries(lambda: catch_up(engine, EXTRACTOR_VERSION, limit), "requeueing stale pages"))
        if claims is not None:
            with_retries(lambda: claims.start(engine), "releasing dead claims")
        if claims is not None and claims.index is not None:
            index = claims.index  # a worker's next pass: the index is caught up at the first write
        else:
            index = with_retries(lambda: _load_index(engine), "loading the duplicate index")
            if claims is not None:
                claims.index = index
        pending = with_retries(lambda: count_pending(engine), "counting pending pages")
        workers = default_workers() if workers is None else workers
        if workers > 1 and min(pending, limit or pending) >= PARALLEL_MIN_PAGES:
            pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
            batch_size = max(batch_size, PAGES_PER_WORKER_BATCH * workers)
        last_id = 0
        while limit is None or counts["pages"] < limit:
            if should_stop():
                status = RunStatus.INTERRUPTED
                break
            size = batch_size if limit is None else min(batch_size, limit - counts["pages"])
            take = partial(claims.take, engine, size) if claims else partial(next_pending_ids, engine, last_id, size)
            ids = with_retries(take, "claiming pending pages" if claims else "reading pending pages")
            if not ids:
                break
            last_id = ids[-1]
            with_retries(
                partial(_process_batch_again, engine, ids, counts, index, pool, written, claims, refused),
                f"batch to {last_id}",
            )
            if progress is not None:
                progress(len(ids))
    except Exception as exc:
        log.exception("ETL pass failed")
        _settle(counts, written, index)
        return RunStatus.FAILED, error_summary(exc)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if pool is not None:
        counts["workers"] = workers
    _settle(counts, written, index)
    if refused and len(refused) >= counts["pages"]:
        # One bad page is that page's error; a database that refuses every page is the pass's failure, not "ok".
        return RunStatus.FAILED, f"the database refused to store every page of the pass ({len(refused)}): {refused[0]}"
    return status, None


def _settle(counts: Counter[str], written: dict[int, int], index: DuplicateIndex | None) -> None:
    """Articles, figures and copies as stored: an article written twice in a pass (two pages with one canonical
    URL, or a batch tried again) counts once, with the figures of its last write."""
    counts["articles"] = len(written)
    counts["metrics"] = sum(written.values())
    counts["duplicates"] = sum(1 for article_id in written if index and index.duplicate_of(article_id) is not None)


def _load_index(engine: sa.Engine) -> DuplicateIndex:
    with Session(engine) as session:
        return load_duplicate_index(session)


def _process_batch_again(
    engine: sa.Engine,
    ids: Sequence[int],
    counts: Counter[str],
    index: DuplicateIndex,
    pool: ProcessPoolExecutor | None,
    written: dict[int, int],
    claims: Claims | None = None,
    refused: list[str] | None = None,
) -> None:
    """_process_batch, safe to try again: a failed try leaves the counts as they were (the index rolls back)."""
    before = counts.copy()
    refused_before = len(refused) if refused is not None else 0
    try:
        _process_batch(engine, ids, counts, index, pool, written, claims, refused)
    except BaseException:
        counts.clear()
        counts.update(before)
        if refused is not None:
            del refused[refused_before:]
        raise


PR_SET_PDEATHSIG = 1  # prctl option: the signal the kernel sends a process when its parent dies


def _die_with_parent(parent: int) -> None:
    """In an extraction process: be killed when the pass's process dies, even by SIGKILL, never left orphaned."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def extract_page(job: PageJob) -> Extracted:
    """Extract one stored page, or say why not. Runs in worker processes too."""
    try:
        return Extracted(
            extract(
                zlib.decompress(job.body), url=job.url, content_type=job.content_type, body_selector=job.body_selector
            )
        )
    except Exception as exc:  # any failure belongs to this page alone
        return Extracted(None, f"{type(exc).__name__}: {exc}")


def about_aid(extraction: Extraction, keywords: Iterable[str]) -> bool:
    text = (extraction.title or "") + "\n" + extraction.body
    return any(to_simplified(k) in text for k in keywords)


def article_key(page: Page, x: Extraction, sources: dict[str, SourceConfig]) -> str:
    """The canonical URL an article is stored under, judged with the page's source configuration."""
    source = sources.get(page.source_name or "")
    same_source = (
        None
        if source is None
        else (lambda url: host_allowed(urlsplit(url).hostname, source.allowed_domains) and source.is_article(url))
    )
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


def _process_batch(
    engine: sa.Engine,
    ids: Sequence[int],
    counts: Counter[str],
    index: DuplicateIndex,
    pool: ProcessPoolExecutor | None = None,
    written: dict[int, int] | None = None,
    claims: Claims | None = None,
    refused: list[str] | None = None,
) -> None:
    with Session(engine) as session:
        sources = configured_sources(session)
        pages = session.exec(select(Page).where(col(Page.id).in_(ids)).order_by(col(Page.id))).all()
    jobs = [
        PageJob(
            p.body,
            p.final_url,
            p.content_type,
            sources[p.source_name].body_selector if p.source_name in sources else None,
        )
        for p in pages
    ]
    extracted = pool.map(extract_page, jobs, chunksize=WORKER_CHUNK) if pool else map(extract_page, jobs)
    results = [_judge(page, result, sources) for page, result in zip(pages, extracted, strict=True)]
    counts["pages"] += len(results)
    try:
        _write_batch(engine, results, counts, index, written, claims)
    except Exception as exc:  # the batch write failed: fall back to one transaction per page, so one bad page costs one
        if transient(exc):  # the database, not a page: the whole batch is tried again (etl_pass)
            raise
        log.warning("batch write failed, retrying page by page", exc_info=True)
        for result in results:
            try:
                _write_batch(engine, [result], counts, index, written, claims)
            except Exception as exc:
                if transient(exc):
                    raise
                failed = PageResult(result.page, PageState.ERROR, reason=f"{type(exc).__name__}: {exc}")
                with engine.begin() as conn:
                    record_outcomes(conn, [failed.outcome], EXTRACTOR_VERSION)
                counts["errors"] += 1
                if refused is not None:
                    refused.append(error_summary(exc))


def _write_batch(
    engine: sa.Engine,
    results: Sequence[PageResult],
    counts: Counter[str],
    index: DuplicateIndex,
    written: dict[int, int] | None = None,
    claims: Claims | None = None,
) -> None:
    """Write one batch in one transaction: articles, metrics, duplicate links and page states, or nothing.

    With `claims`, only the pages this pass still holds (`_admit`), and in two parts (etl.store.claims): new
    articles, their figures and the page states before the shared write lock, under the locks of their
    canonical URLs; replaced articles, revisions and duplicate links after it, to the commit.

    `written` hears, once the transaction is committed, each article written and how many figures it holds now.
    """
    local: Counter[str] = Counter()
    with index.undone_on_error():  # the transaction rolled back: so does the index
        with Session(engine) as session:
            if claims is not None:
                results = _admit(session, claims, results, local)
            items = [ExtractedPage(r.page, r.extraction) for r in results if r.extraction is not None]
            stored_before = stored_keys(session.connection(), {i.key for i in items}) if claims is not None else None
            first = [i for i in items if stored_before is None or i.key not in stored_before]
            later = [i for i in items if stored_before is not None and i.key in stored_before]
            by_key = _store(session, first, local)
            for result in results:
                if result.state is PageState.ERROR:
                    local["errors"] += 1
                elif result.state is PageState.SKIPPED:
                    local["skipped"] += 1
            record_outcomes(session.connection(), [r.outcome for r in results], EXTRACTOR_VERSION)
            if claims is not None:
                inserted = sorted(set(by_key.values()))
                local["write_lock_wait_ms"] += claims.lock(session.connection(), index, inserted)
                by_key.update(_store(session, later, local))
                restamp(session.connection(), inserted)
            ids = [by_key[item.key] for item in items]
            figures = {article_id: len(item.extraction.metrics) for article_id, item in zip(ids, items, strict=True)}
            stored = [
                StoredArticle(article_id, item.extraction, item.page.id)
                for article_id, item in zip(ids, items, strict=True)
            ]
            mark_duplicates(session, index, stored)
            session.commit()
        if claims is not None:
            local["write_lock_held_ms"] += claims.committed()
    counts.update(local)
    if written is not None:
        written.update(figures)


def _store(session: Session, items: Sequence[ExtractedPage], local: Counter[str]) -> dict[str, int]:
    """store_articles: each canonical URL written and its article id."""
    ids = store_articles(session, items, local) if items else []
    return {item.key: article_id for item, article_id in zip(items, ids, strict=True)}


def _admit(session: Session, claims: Claims, results: Sequence[PageResult], local: Counter[str]) -> list[PageResult]:
    """The results this pass may write (etl.store.claims): a page whose lease ran out and went to another pass is
    left to it (`lease_lost`, not counted as this pass's page); a page whose article a newer page already holds
    is done without touching the article (`superseded`)."""
    admission = claims.admit(
        session.connection(),
        [
            Candidate(r.page.id, r.page.fetched_at, r.extraction.canonical_url if r.extraction else None)
            for r in results
            if r.page.id is not None
        ],
    )
    kept = []
    for result in results:
        if result.page.id not in admission.owned:
            local["pages"] -= 1
            local["lease_lost"] += 1
        elif result.page.id in admission.superseded:
            local["superseded"] += 1
            kept.append(PageResult(result.page, PageState.DONE))
        else:
            kept.append(result)
    return kept
