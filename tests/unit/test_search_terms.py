"""Search queries, filters and export values that need no database: terms, literal patterns, snippets, dates."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from etl import export
from etl.filters import Filters, InvalidFilter, day_range
from etl.store import grams, search

pytestmark = pytest.mark.unit


def test_a_query_becomes_distinct_simplified_terms() -> None:
    query = search.parse_query("  援疆幹部\t疏勒  援疆干部 ")
    assert query.terms == ("援疆干部", "疏勒")
    assert query.indexed == ("援疆干部",) and query.short == ("疏勒",)
    assert query.bigrammed == ("疏勒",) and query.scanned == ()  # SQLite: the bigram index, not a scan
    assert search.parse_query("% a_ 援").scanned == ("%", "a_")  # ASCII punctuation splits the bigram tokens
    assert search.parse_query("% a_ 援").bigrammed == ("援",)


@pytest.mark.parametrize("text", ["", "   ", "\u3000", "援疆\x00干部"])
def test_an_empty_query_or_one_with_a_nul_is_refused(text: str) -> None:
    with pytest.raises(search.SearchError):
        search.parse_query(text)


def test_fts_terms_are_literal_phrases_with_quotes_doubled() -> None:
    assert search.fts_match(("援疆", 'a"b', "OR NOT")) == '"援疆" "a""b" "OR NOT"'


@pytest.mark.parametrize(
    ("term", "pattern"),
    [
        ("100%", r"%100\%%"),
        ("a_b", r"%a\_b%"),
        ("C:\\x", r"%C:\\x%"),
        ("援疆", "%援疆%"),
    ],
)
def test_like_patterns_make_wildcards_and_the_escape_literal(term: str, pattern: str) -> None:
    assert search.like_pattern(term) == pattern


def test_a_snippet_is_a_window_around_the_first_match_with_every_term_marked() -> None:
    body = "开头" * 30 + "广州援疆干部来到疏附县，援疆干部说" + "结尾" * 30
    query = search.parse_query("援疆干部 疏附")
    snippet = search.make_snippet(query, "标题", body)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "«援疆干部»" in snippet and "«疏附»" in snippet
    assert len(snippet.replace("«", "").replace("»", "")) <= search.SNIPPET_CHARS + 2


def test_a_snippet_falls_back_to_the_title_when_only_it_matches() -> None:
    query = search.parse_query("EICU")
    assert search.make_snippet(query, "远程eicu启用", "正文没有这个词") == "远程«eicu»启用"


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2023", date(2023, 1, 1), date(2023, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-2", date(2023, 2, 1), date(2023, 2, 28)),
        ("2023-12", date(2023, 12, 1), date(2023, 12, 31)),
        ("2023-06-15", date(2023, 6, 15), date(2023, 6, 15)),
    ],
)
def test_a_date_filter_covers_its_year_month_or_day(text: str, first: date, last: date) -> None:
    assert day_range("since", text) == (first, last)


@pytest.mark.parametrize("text", ["2023-13", "2023-02-30", "yesterday", "23-01-01", "2023/01/01", "2023-01-01x"])
def test_a_malformed_date_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidFilter, match="YYYY, YYYY-MM or YYYY-MM-DD"):
        day_range("until", text)


def test_filters_describe_what_was_given() -> None:
    assert Filters().describe() == "no filters"
    assert Filters(program="援疆", q="疏附", since="2023").describe() == "program 援疆, since 2023, search 疏附"


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("a.CSV", None, export.Format.CSV),
        ("a.jsonl", None, export.Format.JSONL),
        ("a.parquet", None, export.Format.PARQUET),
        ("a.txt", "parquet", export.Format.PARQUET),
    ],
)
def test_the_export_format_comes_from_the_option_or_the_file_name(
    name: str, given: str | None, expected: export.Format
) -> None:
    assert export.format_of(Path(name), given) is expected


def test_an_unknown_export_format_names_the_choices() -> None:
    with pytest.raises(ValueError, match="csv, jsonl, parquet"):
        export.format_of(Path("a.xlsx"), None)


def _metric_row(value: object) -> dict[str, object]:
    row: dict[str, object] = {c.name: None for c in export.METRIC_COLUMNS}
    row.update(
        id=1,
        article_id=7,
        text="420.50万元",
        value=value,
        unit="CNY",
        published_at=datetime(2023, 6, 1, 2, tzinfo=UTC).astimezone(export.SHANGHAI),
    )
    return row


def test_decimal_amounts_stay_exact_in_json_and_csv(tmp_path: Path) -> None:
    exact = Decimal("4205000.10")
    export.write([_metric_row(exact)], "metrics", tmp_path / "m.jsonl", export.Format.JSONL)
    line = json.loads((tmp_path / "m.jsonl").read_text("utf-8"))
    assert Decimal(str(line["value"])) == exact and line["published_at"] == "2023-06-01T10:00:00+08:00"
    export.write([_metric_row(exact)], "metrics", tmp_path / "m.csv", export.Format.CSV)
    assert (tmp_path / "m.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with (tmp_path / "m.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert next(csv.DictReader(fh))["value"] == "4205000.10"


@pytest.mark.parametrize(
    ("amount_type", "expected"),
    [
        (sa.Float(), "double"),
        (sa.Numeric(20, 4), "decimal128(20, 4)"),
        (sa.Numeric(), "string"),
    ],
)
def test_parquet_amounts_follow_the_stored_type(
    tmp_path: Path, amount_type: sa.types.TypeEngine, expected: str
) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "m.parquet"
    export.write([_metric_row(Decimal("4205000.1000"))], "metrics", path, export.Format.PARQUET, amount_type)
    table = pq.read_table(path)
    assert str(table.schema.field("value").type) == expected
    value = table.column("value")[0].as_py()
    assert Decimal(str(value)) == Decimal("4205000.1")
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=Asia/Shanghai]"


def test_an_empty_parquet_export_still_has_every_column(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    assert export.write([], "articles", tmp_path / "a.parquet", export.Format.PARQUET) == 0
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.num_rows == 0 and table.column_names == [c.name for c in export.ARTICLE_COLUMNS]


def test_bigram_tokens_cover_every_character_of_each_run() -> None:
    assert grams.grams("援疆。ab_Cd") == "援疆 疆。 。a ab b cd d"  # ASCII folded; `_` ends a run
    assert grams.grams("援") == "援" and grams.grams("") == "" and grams.grams(None) is None
    assert grams.grams("ΣΑ援") == "ΣΑ Α援 援"  # only ASCII is folded, as the `ascii` tokenizer does
    assert grams.indexable("疏勒") and grams.indexable("E")
    assert not grams.indexable("a_") and not grams.indexable("援疆干")
    assert grams.match("EI") == '"ei"' and grams.match("援") == '"援"*'


def test_postgresql_bigram_queries_quote_every_character() -> None:
    assert search.ts_query(("疏勒", "援")) == "'疏勒' & '援':*"
    assert search.ts_query(("'", "\\")) == r"'''':* & '\\':*"


def test_a_search_widens_its_range_of_newest_ids_by_the_density_it_found() -> None:
    """PostgreSQL looks among the newest ids first (etl.query.articles); the next range is sized from the matches
    found so far, at least twice as wide, never past the whole table, and the whole table when none were found."""
    assert search.widen(8000, 0, 2000, 100_000) == 100_000  # none among the newest: a rare term, looked up once
    assert search.widen(8000, 947, 2000, 100_000) == 25_356  # 2,001 at 947 per 8,000, with half again as margin
    assert search.widen(8000, 1990, 2000, 100_000) == 16_000  # nearly enough: still twice as wide
    assert search.widen(8000, 10, 2000, 100_000) == 100_000


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_short_terms_are_looked_up_in_the_bigram_index_not_scanned(dialect: str) -> None:
    """Every search finds the same articles with or without the index (tests/integration/test_search.py): here,
    that a term of one or two characters is asked of `article_grams`, not matched by LIKE over every row."""
    from sqlalchemy.dialects import postgresql, sqlite

    engine_dialect = postgresql.dialect() if dialect == "postgresql" else sqlite.dialect()

    def sql(text: str) -> str:
        return str(search.condition(search.parse_query(text), dialect).compile(dialect=engine_dialect))

    for short in ("疏勒", "援", "EI"):
        assert search.GRAMS_TABLE in sql(short) and "LIKE" not in sql(short).upper(), short
    assert search.GRAMS_TABLE not in sql("援疆干部")
    if dialect == "sqlite":  # the `ascii` tokenizer splits on ASCII punctuation: such a term is scanned
        assert "LIKE" in sql("%").upper() and search.GRAMS_TABLE not in sql("%")
    else:  # PostgreSQL's bigrams hold every character
        assert search.GRAMS_TABLE in sql("%") and "LIKE" not in sql("%").upper()
