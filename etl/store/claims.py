"""Sharing the pending pages between ETL processes on PostgreSQL: leases, one writer at a time, a shared index.

Any number of ETL passes (`aidnews etl --worker` on many machines, the service's scheduled pass) may work on
one PostgreSQL database at once. Three things keep their result the same as one process's:

- **Leases.** A pass claims a batch with one `UPDATE page SET claimed_by, claimed_until … WHERE id IN (SELECT
  … FOR UPDATE SKIP LOCKED)`: concurrent claims skip each other's rows, and a claim committed meanwhile is seen
  when PostgreSQL re-checks the locked row, so no page is handed out twice. The batch's write clears the claim
  in its own transaction. A worker killed mid-batch writes nothing; its claim lapses after the lease and
  another pass takes the pages. A claim of a process that died on this machine is released at once.
- **One writer of an article at a time; one duplicate marker at a time.** A batch is written in one
  transaction in two parts. First, without the shared lock, it checks that it still holds its pages (a
  lease that ran out while it worked belongs to the next claimant, whose write alone counts; the page rows
  stay locked until commit, so claims skip them), takes a transaction lock per canonical URL of the batch
  (`pg_advisory_xact_lock(KEY_LOCKS, crc32(url))`, in ascending order, so two batches never wait on each
  other in a circle) and inserts its new articles with their figures and search passages and records its
  page states. Then it takes `pg_advisory_xact_lock(WRITE_LOCK)`, held to the commit: it brings its
  duplicate index up to date, replaces the articles that were already stored, re-stamps the revision of the
  articles it inserted and writes the duplicate links. Only that tail is serial, and it touches no row that
  another batch's first part holds: first parts insert rows nobody else sees yet and update only their own
  pages, so a batch that holds the write lock never waits for one that waits for it. That is why replacing a
  stored article waits for the lock: another batch's duplicate links may rewrite that row, and would wait
  for the replacing batch while holding the lock it waits for. Measured in bench/README.md (bench_scale.py).
- **A shared duplicate index.** Each pass keeps the index in memory (etl.dedup) and, under the lock, adds the
  articles other passes wrote since it last looked: `article.dedup_rev` is stamped from a sequence by a
  trigger (migration 0009) on every insert and every change of a column the index holds. An insert made
  before the lock draws its revision early and would commit out of order, so every inserted row is stamped
  again under the lock (`restamp`); replacements and duplicate links are written under it. Every revision a
  reader can see was therefore drawn under the lock, commit order and revision order agree, and "every row
  past the newest revision seen" misses nothing (tests/integration/test_etl_lock_order.py interleaves two
  batches to check it).

The one order-dependent rule of a single pass is that when two pages store one article (one canonical URL),
the later page in id order wins. Under its URL's lock a page is not allowed to overwrite an article written from a
higher page id that was processed after this page was fetched: both were waiting together, so one process
would have written the higher one last (`superseded`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.sql.selectable import NamedFromClause

from etl.dedup import DuplicateIndex
from etl.store.articles import primary_key
from etl.store.pages import PageState
from etl.store.runs import process_alive

log = logging.getLogger("aidnews.etl.claims")

WRITE_LOCK = 0x6169_6465_746C  # pg_advisory_xact_lock key for the serial tail of ETL batch writes ("aidetl")
KEY_LOCKS = 0x6169_646B  # first key of the two-key per-canonical-URL locks ("aidk"); apart from WRITE_LOCK's space
DEFAULT_LEASE_SECONDS = 300.0  # a 100-page batch takes 2-10 s here; five minutes leaves room for a loaded machine

# The claim columns and the revision are PostgreSQL-only (migration 0009) and not in the SQLModel classes.
page_t = sa.table(
    "page",
    sa.column("id", sa.Integer),
    sa.column("etl_status", sa.String),
    sa.column("fetched_at", sa.DateTime(timezone=True)),
    sa.column("processed_at", sa.DateTime(timezone=True)),
    sa.column("claimed_by", sa.String),
    sa.column("claimed_until", sa.DateTime(timezone=True)),
)
article_t = sa.table(
    "article",
    sa.column("id", sa.Integer),
    sa.column("canonical_url", sa.String),
    sa.column("page_id", sa.Integer),
    sa.column("content_hash", sa.String),
    sa.column("simhash", sa.BigInteger),
    sa.column("published_at", sa.DateTime(timezone=True)),
    sa.column("duplicate_of", sa.Integer),
    sa.column("dedup_rev", sa.BigInteger),
)


def supported(engine: sa.Engine) -> bool:
    """Whether the database can share its pages between processes (PostgreSQL)."""
    return engine.dialect.name == "postgresql"


def new_worker_name() -> str:
    """host:pid:random — the host and pid let a later pass on this machine release a dead process's claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claimable(page: NamedFromClause = page_t) -> sa.ColumnElement[bool]:
    return sa.and_(
        page.c.etl_status == PageState.PENDING.value,
        sa.or_(page.c.claimed_until.is_(None), page.c.claimed_until < sa.func.now()),
    )


def claim(conn: sa.Connection, worker: str, limit: int, lease_seconds: float) -> list[int]:
    """Claim up to `limit` pending, unclaimed pages (lowest ids first) for `worker`; their ids, in order."""
    candidate = page_t.alias("candidate")
    picked = (  # a CTE runs once; a subquery in IN (…) may be run again per row, claiming more than `limit`
        sa.select(candidate.c.id)
        .where(_claimable(candidate))
        .order_by(candidate.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
    )
    statement = (
        sa.update(page_t)
        .where(page_t.c.id == picked.c.id)
        .values(claimed_by=worker, claimed_until=sa.func.now() + sa.literal(timedelta(seconds=lease_seconds)))
        .returning(page_t.c.id)
    )
    return sorted(conn.execute(statement).scalars())


def claimable_exists(conn: sa.Connection) -> bool:
    """Whether any page waits that a worker could claim now."""
    return conn.execute(sa.select(sa.exists().where(_claimable()))).scalar_one()


def release_dead_claims(conn: sa.Connection) -> int:
    """Release the claims of processes of this machine that no longer exist; returns how many pages."""
    prefix = socket.gethostname() + ":"
    holders = conn.execute(
        sa.select(page_t.c.claimed_by)
        .where(page_t.c.claimed_by.startswith(prefix, autoescape=True), page_t.c.claimed_until > sa.func.now())
        .distinct()
    ).scalars()
    dead = [h for h in holders if not process_alive(_pid(h))]
    if not dead:
        return 0
    released = conn.execute(
        sa.update(page_t).where(page_t.c.claimed_by.in_(dead)).values(claimed_by=None, claimed_until=None)
    ).rowcount
    log.warning("released %d pages claimed by %d dead process(es) of this machine", released, len(dead))
    return released


def _pid(worker: str) -> int | None:
    parts = worker.split(":")
    return int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None


@dataclass(frozen=True)
class Candidate:
    """A page of a batch about to be written: its id, when it was fetched, and its article's key (if it has one)."""

    page_id: int
    fetched_at: datetime | None
    key: str | None


@dataclass(frozen=True)
class Admission:
    """What a batch may write: pages still held by this worker, and which of their articles a newer page holds."""

    owned: frozenset[int]
    superseded: frozenset[int]


@dataclass
class Claims:
    """One pass's side of the sharing: its name, its lease, and how far its duplicate index has caught up."""

    worker: str = field(default_factory=new_worker_name)
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    seen_rev: int = 0  # the newest article revision whose row the index holds, as of the last committed write
    index: DuplicateIndex | None = None  # kept by a worker from pass to pass, caught up under the lock
    _pending_rev: int | None = None
    _locked_at: float = 0.0

    def take(self, engine: sa.Engine, limit: int) -> list[int]:
        with engine.begin() as conn:
            return claim(conn, self.worker, limit, self.lease_seconds)

    def start(self, engine: sa.Engine) -> None:
        """Before a pass: release dead local claims, and before a first index load note the revision it starts from
        (rows committed during the load are read again at the first write: adding a row twice is harmless)."""
        with engine.begin() as conn:
            release_dead_claims(conn)
            if self.index is None:
                self.seen_rev = conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(article_t.c.dedup_rev), 0))
                ).scalar_one()

    def admit(self, conn: sa.Connection, batch: Sequence[Candidate]) -> Admission:
        """First part of the batch's write transaction, before the write lock: which pages may be written.

        Locks the pages still held by this worker and clears their claims (in the transaction that records
        their outcomes), then takes the lock of each canonical URL of theirs, so that no other batch writes
        those articles until this one commits; which of them a newer page holds is read after that.
        """
        ids = [c.page_id for c in batch]
        owned = frozenset(
            conn.execute(
                sa.select(page_t.c.id).where(page_t.c.id.in_(ids), page_t.c.claimed_by == self.worker).with_for_update()
            ).scalars()
        )
        if owned:
            conn.execute(sa.update(page_t).where(page_t.c.id.in_(owned)).values(claimed_by=None, claimed_until=None))
        if len(owned) < len(ids):
            log.warning(
                "%d of %d pages were claimed by another worker after this one's lease ran out",
                len(ids) - len(owned),
                len(ids),
            )
        mine = [c for c in batch if c.page_id in owned]
        lock_keys(conn, {c.key for c in mine if c.key is not None})
        return Admission(owned, superseded_pages(conn, mine))

    def lock(self, conn: sa.Connection, index: DuplicateIndex, own: Sequence[int] = ()) -> int:
        """Second part: take the write lock (held to the commit) and catch the index up with what other passes
        committed, leaving out `own`, the articles this transaction inserted (mark_duplicates adds them, as it
        would have without the first part). Returns how long the lock was waited for, in milliseconds."""
        asked = time.monotonic()
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(WRITE_LOCK)))
        self._locked_at = time.monotonic()
        self._pending_rev = refresh_index(conn, index, self.seen_rev, own)
        return round((self._locked_at - asked) * 1000)

    def committed(self) -> int:
        """The batch's transaction committed: the index now holds every row up to the revision read under the lock.
        Returns how long the write lock was held, in milliseconds (what bounds the workers of one database)."""
        if self._pending_rev is not None:
            self.seen_rev = max(self.seen_rev, self._pending_rev)
        self._pending_rev = None
        return round((time.monotonic() - self._locked_at) * 1000)


def key_lock(url: str) -> int:
    """The second key of a canonical URL's transaction lock: its CRC-32 as a signed 32-bit integer. Two URLs
    that share one only wait for each other."""
    value = zlib.crc32(url.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def lock_keys(conn: sa.Connection, urls: set[str]) -> None:
    """Take the transaction lock of each URL, in ascending order of key, one statement each: PostgreSQL does
    not promise the order in which one statement would take them, and a fixed order is what rules out two
    batches each holding a lock the other waits for."""
    for key in sorted({key_lock(url) for url in urls}):
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(KEY_LOCKS, key)))


def stored_keys(conn: sa.Connection, urls: set[str]) -> set[str]:
    """Which of `urls` an article is stored under. Stable while this transaction holds their locks."""
    if not urls:
        return set()
    return set(
        conn.execute(sa.select(article_t.c.canonical_url).where(article_t.c.canonical_url.in_(sorted(urls)))).scalars()
    )


def restamp(conn: sa.Connection, article_ids: Sequence[int]) -> None:
    """Under the write lock: draw new revisions for rows inserted before it, so that they commit in order."""
    if article_ids:
        conn.execute(
            sa.update(article_t)
            .where(article_t.c.id.in_(sorted(set(article_ids))))
            .values(dedup_rev=sa.func.nextval("article_dedup_rev_seq"))
        )


def refresh_index(conn: sa.Connection, index: DuplicateIndex, after_rev: int, own: Sequence[int] = ()) -> int:
    """Add to `index` every article written or re-linked since revision `after_rev`, but for `own`; the newest
    revision read.

    Call it under the write lock, so no transaction holding an older revision can still commit. The caller's
    own writes later in the transaction are added to the index as it makes them (mark_duplicates).
    """
    rows = conn.execute(
        sa.select(
            article_t.c.id,
            article_t.c.content_hash,
            article_t.c.simhash,
            article_t.c.published_at,
            article_t.c.page_id,
            article_t.c.duplicate_of,
            article_t.c.dedup_rev,
        )
        .where(article_t.c.dedup_rev > after_rev, article_t.c.id.not_in(sorted(set(own))) if own else sa.true())
        .order_by(article_t.c.dedup_rev)
    ).all()
    newest = after_rev
    for article_id, content_hash, sim, published, page_id, duplicate_of, rev in rows:
        index.add(article_id, content_hash, sim, primary_key(published, page_id, article_id), duplicate_of)
        newest = max(newest, rev)
    return newest


def superseded_pages(conn: sa.Connection, batch: Sequence[Candidate]) -> frozenset[int]:
    """Pages whose article is held by a higher page id that was processed after this page was fetched.

    One process works in page-id order, so of two pages waiting together for one canonical URL the higher one
    is written last and stays. Workers finish in any order: a lower page that arrives after the higher one was
    written must leave the article alone (its page is still done). A higher page processed before this page
    was fetched was not waiting with it: the newer fetch wins, as it would in one process.
    """
    keys = {c.key for c in batch if c.key is not None}
    if not keys:
        return frozenset()
    holder = page_t.alias("holder")
    held: Mapping[str, tuple[int, datetime | None]] = {
        key: (page_id, processed)
        for key, page_id, processed in conn.execute(
            sa.select(article_t.c.canonical_url, article_t.c.page_id, holder.c.processed_at)
            .join(holder, holder.c.id == article_t.c.page_id)
            .where(article_t.c.canonical_url.in_(sorted(keys)))
        ).all()
    }
    out = set()
    for c in batch:
        if c.key is None or c.key not in held:
            continue
        holder_page, processed = held[c.key]
        if holder_page > c.page_id and processed is not None and (c.fetched_at is None or processed >= c.fetched_at):
            out.add(c.page_id)
    return frozenset(out)
