"""The tables: one SQLModel class per table, as described in the architecture note.

Times are stored as UTC and read back time-zone aware on both SQLite and PostgreSQL
(`AwareDateTime`); display code converts to Asia/Shanghai.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class AwareDateTime(sa.types.TypeDecorator):
    """A timestamp that always comes back aware: UTC in storage, SQLite included."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactNumber(sa.types.TypeDecorator):
    """A decimal that comes back as written: NUMERIC on PostgreSQL (exact); SQLite has no decimal type, so its
    NUMERIC column keeps 15 significant digits as a double, which read back by their shortest text give the
    same decimal again (230000000, 0.05; figures are capped below 10^15 so whole numbers stay exact)."""

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        # asdecimal is typed by two overloads (Literal True / False), so the choice is spelled out
        numeric = sa.Numeric(asdecimal=False) if dialect.name == "sqlite" else sa.Numeric(asdecimal=True)
        return dialect.type_descriptor(numeric)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float) and not value.is_integer():
            return Decimal(repr(value))
        return Decimal(int(value))


def _ts(**kw: Any) -> Any:
    return Field(sa_type=AwareDateTime, **kw)


def _json(**kw: Any) -> Any:
    return Field(sa_type=sa.JSON, **kw)


class Source(SQLModel, table=True):
    """A configured site, mirrored from sources.toml at every crawl."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    config: dict = _json(default_factory=dict)
    enabled: bool = True
    created_at: datetime = _ts(default_factory=utcnow)
    updated_at: datetime = _ts(default_factory=utcnow)
    # The first crawl that read all its list pages (none stopped early, none failed): later crawls may stop
    # paging at the first list page with nothing new. Cleared when its start URLs or list patterns change.
    full_crawl_run: int | None = None


class Run(SQLModel, table=True):
    """Every crawl, ETL and maintenance run: what it did and how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # etl.store.runs.RunKind: crawl | etl | maintenance
    source_name: str | None = None  # None: all sources
    started_at: datetime = _ts(default_factory=utcnow, index=True)
    finished_at: datetime | None = _ts(default=None)
    status: str = "running"  # etl.store.runs.RunStatus: running, ok, failed, timeout, interrupted, crashed
    counts: dict = _json(default_factory=dict)
    errors: list = _json(default_factory=list)  # the first few failures, each {url, reason}
    error: str | None = None  # why the run itself failed
    pid: int | None = None
    host: str | None = None  # the machine of `pid` (etl.store.runs.reap_stale_runs judges only its own)


class Page(SQLModel, table=True):
    """One fetched URL version, stored raw before anything parses it: one row per URL and content (sha256)."""

    __table_args__ = (sa.Index("ux_page_url_sha256", "url", "sha256", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(index=True)
    final_url: str
    source_name: str | None = Field(default=None, index=True)
    kind: str = Field(default="article", index=True)  # article | list | sitemap | feed
    run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    status: int
    headers: dict = _json(default_factory=dict)
    content_type: str | None = None
    http_charset: str | None = None
    meta_charset: str | None = None
    detected_encoding: str | None = None
    body: bytes = Field(sa_type=sa.LargeBinary)  # zlib-compressed raw bytes
    size: int = 0  # uncompressed
    sha256: str = Field(index=True)
    fetched_at: datetime = _ts(default_factory=utcnow, index=True)
    etag: str | None = None
    last_modified: str | None = None
    checked_at: datetime | None = _ts(default=None)  # last found unchanged (a 304 or the same bytes), for revisits
    etl_status: str = Field(default="pending", index=True)  # etl.store.pages.PageState
    etl_error: str | None = None
    extractor_version: str | None = None
    processed_at: datetime | None = _ts(default=None)


class Article(SQLModel, table=True):
    """A cleaned article, keyed by its canonical URL."""

    id: int | None = Field(default=None, primary_key=True)
    page_id: int | None = Field(default=None, foreign_key="page.id", index=True)
    source_name: str | None = Field(default=None, index=True)
    url: str
    canonical_url: str = Field(unique=True, index=True)
    title: str | None = None
    subtitle: str | None = None
    published_at: datetime | None = _ts(default=None, index=True)
    news_source: str | None = None  # 来源
    author: str | None = None  # 作者 / 记者 / 通讯员
    editor: str | None = None  # 责任编辑
    body: str = ""  # normalised, Simplified
    body_original: str = ""
    script: str | None = None  # Hans | Hant | mixed
    pinyin_stripped: int = 0
    garbled_found: int = 0
    garbled_repaired: int = 0
    garbled_spans: list = _json(default_factory=list)
    images: list = _json(default_factory=list)
    content_hash: str = Field(index=True)
    simhash: int | None = Field(default=None, sa_type=sa.BigInteger)
    duplicate_of: int | None = Field(default=None, foreign_key="article.id", index=True)
    program: str | None = Field(default=None, index=True)  # 援疆 援藏 援青 东西部协作 定点帮扶 对口支援
    provider_province: str | None = None
    provider_prefecture: str | None = None
    provider_county: str | None = None
    provider_inferred: bool = False
    recipient_province: str | None = None
    recipient_prefecture: str | None = None
    recipient_county: str | None = None
    recipient_inferred: bool = False
    batch: int | None = None  # 第N批
    period_start: str | None = None
    period_end: str | None = None
    topics: list = _json(default_factory=list)
    extractor_version: str = ""
    created_at: datetime = _ts(default_factory=utcnow)
    updated_at: datetime = _ts(default_factory=utcnow)


class Metric(SQLModel, table=True):
    """One quantity stated in an article body (see docs/metrics.md)."""

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    text: str
    start: int
    end: int
    sentence: str
    value: Decimal = Field(sa_type=ExactNumber)
    value_max: Decimal | None = Field(default=None, sa_type=ExactNumber)
    unit: str = Field(index=True)
    classifier: str | None = None
    qualifier: str = "exact"
    category: str = Field(index=True)
    subject: str | None = None
    money_kind: str | None = Field(default=None, index=True)  # money only: which totals it may enter


class Service(SQLModel, table=True):
    """A running (or stopped) scheduler: where it runs, when it was last alive, and when its jobs run next."""

    id: int | None = Field(default=None, primary_key=True)
    host: str
    pid: int
    started_at: datetime = _ts(default_factory=utcnow)
    heartbeat_at: datetime = _ts(default_factory=utcnow)
    stopped_at: datetime | None = _ts(default=None)
    jobs: list = _json(default_factory=list)  # [{"job": name, "next_run": ISO time or null}]


class ArticleVersion(SQLModel, table=True):
    """An extraction of an article that a changed page replaced: what the article said before its correction.

    The article row keeps its id and always holds the newest extraction; each time a new version of the same
    page changes the title, body, date or figures, the extraction it replaces is copied here first, in the
    same transaction (etl.store.versions).
    """

    __tablename__ = "article_version"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    page_id: int | None = Field(  # the page version it was extracted from (raw pages may be pruned later)
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("page.id", ondelete="SET NULL"), nullable=True)
    )
    title: str | None = None
    published_at: datetime | None = _ts(default=None)
    body: str = ""
    content_hash: str = ""
    body_length: int = 0
    metrics: list = _json(default_factory=list)  # [{text, value, value_max, unit, qualifier, category, subject}]
    extractor_version: str = ""
    extracted_at: datetime | None = _ts(default=None)  # when this extraction was written
    superseded_at: datetime = _ts(default_factory=utcnow)  # when a newer page version replaced it


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table behind a model, for set-wise statements (executemany updates, every column of an export).

    SQLModel attaches `__table__` when the class is built, so a type checker cannot see it; the mapper can.
    """
    table = sa.inspect(model).local_table
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table
