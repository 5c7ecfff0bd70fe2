"""`aidnews export`: every matching article or figure, streamed from the database into CSV, JSON Lines or Parquet.

The columns are fixed here, with their Arrow types, so that a file has the same shape whatever the rows hold
(an empty export included) and pandas reads numbers as numbers and times as times. Times are Beijing time with
their offset. Amounts keep their exactness: a Decimal value (the `metric` table may store NUMERIC) is written as
its string in CSV and JSON, and as decimal128 in Parquet when the column declares a precision Arrow can hold, as
a string otherwise; floats stay float64. CSV starts with a byte-order mark so that spreadsheets read UTF-8.
Rows are read `BATCH` at a time, never all at once: a body-laden export can outgrow memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa
from sqlmodel import Session, col

from etl import spreadsheet
from etl.filters import SHANGHAI, SIDES, Criteria, article_conditions, has_metrics, metric_conditions
from etl.metrics import json_number
from etl.store.models import Article, Metric, table_of

BATCH = 2000  # rows fetched, and written to Parquet, at a time
ARROW_DECIMAL_DIGITS = 38  # the most decimal128 holds


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"


class Kind(StrEnum):
    """Arrow type of an export column, named so that this module reads without importing pyarrow."""

    INT = "int"
    BOOL = "bool"
    TEXT = "text"
    TIME = "time"
    AMOUNT = "amount"  # a metric value: float64, or decimal128 / string for a NUMERIC column
    TEXTS = "texts"  # list of strings
    JSON = "json"  # anything nested, as its JSON text


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    read: Callable[[Any], Any]


def _attr(name: str) -> Callable[[Any], Any]:
    return lambda row: getattr(row, name)


def _local(name: str) -> Callable[[Any], Any]:
    def read(row: Any) -> datetime | None:
        value = getattr(row, name)
        return value.astimezone(SHANGHAI) if value is not None else None

    return read


# an article's places, the helping side's first: provider_province … recipient_county
PLACES = tuple(f"{side}_{level}" for side in SIDES for level in ("province", "prefecture", "county"))
PLACE_COLUMNS = tuple(Column(name, Kind.TEXT, _attr(name)) for name in PLACES)
ARTICLE_COLUMNS = (
    Column("id", Kind.INT, _attr("id")),
    Column("published_at", Kind.TIME, _local("published_at")),
    Column("title", Kind.TEXT, _attr("title")),
    Column("subtitle", Kind.TEXT, _attr("subtitle")),
    Column("source", Kind.TEXT, _attr("source_name")),
    Column("news_source", Kind.TEXT, _attr("news_source")),
    Column("author", Kind.TEXT, _attr("author")),
    Column("editor", Kind.TEXT, _attr("editor")),
    Column("program", Kind.TEXT, _attr("program")),
    *PLACE_COLUMNS,
    Column("provider_inferred", Kind.BOOL, _attr("provider_inferred")),
    Column("recipient_inferred", Kind.BOOL, _attr("recipient_inferred")),
    Column("batch", Kind.INT, _attr("batch")),
    Column("period_start", Kind.TEXT, _attr("period_start")),
    Column("period_end", Kind.TEXT, _attr("period_end")),
    Column("topics", Kind.TEXTS, _attr("topics")),
    Column("metrics", Kind.INT, _attr("metrics")),
    Column("duplicate_of", Kind.INT, _attr("duplicate_of")),
    Column("script", Kind.TEXT, _attr("script")),
    Column("pinyin_stripped", Kind.INT, _attr("pinyin_stripped")),
    Column("garbled_found", Kind.INT, _attr("garbled_found")),
    Column("garbled_repaired", Kind.INT, _attr("garbled_repaired")),
    Column("url", Kind.TEXT, _attr("url")),
    Column("canonical_url", Kind.TEXT, _attr("canonical_url")),
    Column("extractor_version", Kind.TEXT, _attr("extractor_version")),
    Column("images", Kind.JSON, _attr("images")),
    Column("body", Kind.TEXT, _attr("body")),
    Column("body_original", Kind.TEXT, _attr("body_original")),
)
METRIC_COLUMNS = (
    Column("id", Kind.INT, _attr("id")),
    Column("article_id", Kind.INT, _attr("article_id")),
    Column("published_at", Kind.TIME, _local("published_at")),
    Column("text", Kind.TEXT, _attr("text")),
    Column("value", Kind.AMOUNT, _attr("value")),
    Column("value_max", Kind.AMOUNT, _attr("value_max")),
    Column("unit", Kind.TEXT, _attr("unit")),
    Column("classifier", Kind.TEXT, _attr("classifier")),
    Column("qualifier", Kind.TEXT, _attr("qualifier")),
    Column("category", Kind.TEXT, _attr("category")),
    Column("subject", Kind.TEXT, _attr("subject")),
    Column("sentence", Kind.TEXT, _attr("sentence")),
    Column("start", Kind.INT, _attr("start")),
    Column("end", Kind.INT, _attr("end")),
    Column("title", Kind.TEXT, _attr("title")),
    Column("program", Kind.TEXT, _attr("program")),
    *PLACE_COLUMNS,
    Column("source", Kind.TEXT, _attr("source_name")),
    Column("duplicate_of", Kind.INT, _attr("duplicate_of")),
    Column("url", Kind.TEXT, _attr("url")),
)
COLUMNS = {"articles": ARTICLE_COLUMNS, "metrics": METRIC_COLUMNS}


def format_of(path: Path, given: str | None) -> Format:
    """The format asked for, or the one the file name ends in. Raises ValueError naming the choices."""
    name = given or path.suffix.lstrip(".").lower()
    try:
        return Format(name)
    except ValueError:
        choices = ", ".join(f.value for f in Format)
        raise ValueError(
            f"unknown export format {name!r}: choose {choices} (with --format or the file name's ending)"
        ) from None


def _select(what: str, criteria: Criteria, dialect: str) -> sa.Select:
    if what == "articles":
        metric_count = (
            sa.select(sa.func.count(col(Metric.id))).where(col(Metric.article_id) == col(Article.id)).scalar_subquery()
        )
        return (
            sa.select(*table_of(Article).c, metric_count.label("metrics"))
            .where(*article_conditions(criteria, dialect), *has_metrics(criteria))
            .order_by(col(Article.id))
        )
    return (
        sa.select(
            *table_of(Metric).c,
            col(Article.published_at),
            col(Article.title),
            col(Article.program),
            col(Article.source_name),
            col(Article.duplicate_of),
            col(Article.url),
            *(getattr(Article, name) for name in PLACES),
        )
        .join(Article, col(Article.id) == col(Metric.article_id))
        .where(*article_conditions(criteria, dialect), *metric_conditions(criteria))
        .order_by(col(Metric.article_id), col(Metric.start), col(Metric.id))
    )


def records(session: Session, what: str, criteria: Criteria) -> Iterator[dict[str, Any]]:
    """The export's rows, read in batches, each a dict in `COLUMNS[what]` order."""
    columns = COLUMNS[what]
    query = _select(what, criteria, session.get_bind().dialect.name)
    result = session.execute(query.execution_options(yield_per=BATCH))
    for row in result:
        yield {c.name: c.read(row) for c in columns}


def _plain(value: Any) -> Any:
    """A value as JSON holds it: a Decimal as a number that reads back as the same decimal (its text when a
    float cannot carry it), times in ISO 8601 with their offset."""
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _csv_cell(value: Any) -> Any:
    """A value as a CSV cell: lists and tables as text, and crawled text a spreadsheet would run as a formula
    made inert (etl.spreadsheet)."""
    if isinstance(value, list):
        nested = any(isinstance(v, dict | list) for v in value)
        value = json.dumps(value, ensure_ascii=False) if nested else " ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, Decimal):
        return str(value)  # every digit as written (4205000.10); a number, never a formula
    return spreadsheet.cell(_plain(value))


def write(
    rows: Iterable[dict[str, Any]], what: str, path: Path, fmt: Format, amount_type: sa.types.TypeEngine | None = None
) -> int:
    """Write the rows to `path` in `fmt`; returns how many were written.

    `amount_type` is the SQL type amounts are stored as (default: the `metric.value` column's), which decides
    their Parquet type.
    """
    columns = COLUMNS[what]
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt is Format.PARQUET:
        return _write_parquet(rows, columns, path, amount_type or table_of(Metric).c.value.type)
    count = 0
    with path.open("w", encoding="utf-8-sig" if fmt is Format.CSV else "utf-8", newline="") as fh:
        write_row = _row_writer(fmt, columns, fh)
        for row in rows:
            write_row(row)
            count += 1
    return count


def _row_writer(fmt: Format, columns: tuple[Column, ...], fh: TextIO) -> Callable[[dict[str, Any]], Any]:
    """What writes one row to a CSV or JSON Lines file (a CSV file gets its header row first)."""
    if fmt is Format.CSV:
        writer = csv.writer(fh)
        writer.writerow([c.name for c in columns])
        return lambda row: writer.writerow([_csv_cell(row[c.name]) for c in columns])
    return lambda row: fh.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False) + "\n")


def arrow_type(kind: Kind, amount_type: sa.types.TypeEngine) -> Any:
    """The Arrow type of a column of this kind; amounts follow the SQL type they are stored as."""
    import pyarrow as pa

    if kind is Kind.AMOUNT:
        if isinstance(amount_type, sa.Float) or not isinstance(amount_type, sa.Numeric):
            return pa.float64()
        if amount_type.precision and amount_type.precision <= ARROW_DECIMAL_DIGITS and amount_type.scale is not None:
            return pa.decimal128(amount_type.precision, amount_type.scale)
        return pa.string()  # NUMERIC without a declared precision: exact only as text
    return {
        Kind.INT: pa.int64(),
        Kind.BOOL: pa.bool_(),
        Kind.TEXT: pa.string(),
        Kind.JSON: pa.string(),
        Kind.TIME: pa.timestamp("us", tz=str(SHANGHAI)),
        Kind.TEXTS: pa.list_(pa.string()),
    }[kind]


def _arrow_value(kind: Kind, arrow_type: Any, value: Any) -> Any:
    import pyarrow as pa

    if value is None:
        return None
    if kind is Kind.JSON:
        return json.dumps(value, ensure_ascii=False)
    if kind is Kind.AMOUNT and pa.types.is_string(arrow_type):
        return str(value)
    if kind is Kind.AMOUNT and pa.types.is_floating(arrow_type):
        return float(value)
    return value


def _write_parquet(
    rows: Iterable[dict[str, Any]], columns: tuple[Column, ...], path: Path, amount_type: sa.types.TypeEngine
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c.name, arrow_type(c.kind, amount_type)) for c in columns])
    count = 0
    batch: list[dict[str, Any]] = []

    def flush(writer: Any) -> None:
        arrays = [
            pa.array([_arrow_value(c.kind, field.type, row[c.name]) for row in batch], type=field.type)
            for c, field in zip(columns, schema, strict=True)
        ]
        writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        batch.clear()

    with pq.ParquetWriter(path, schema) as writer:
        for row in rows:
            batch.append(row)
            count += 1
            if len(batch) >= BATCH:
                flush(writer)
        if batch or not count:
            flush(writer)
    return count
