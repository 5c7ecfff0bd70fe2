"""Full-text search over article titles and bodies, in Simplified characters, on SQLite and PostgreSQL.

Chinese is written without spaces, so neither database's word tokenizer applies; both index character
trigrams instead, and both indexes are kept in step by the database itself (migration 0007), so that every
insert, replace and delete of an article, whoever makes it, updates the index in the same transaction:

- SQLite: an FTS5 table `article_fts` (tokenizer `trigram`, external content: it indexes the `article` rows and
  stores no copy) maintained by triggers. FTS5 keeps token positions, so a term is matched and ranked (bm25)
  from the index alone.
- PostgreSQL: `pg_trgm` keeps no positions, so every candidate it finds is re-read to confirm the match; read
  whole, a body is TOASTed and costs about ten microseconds, which at 100,000 articles made a common term take
  seconds. So the text is indexed in passages: `article_passage` holds each title and each sentence of each
  body (split after 。！？； and line ends) with a `pg_trgm` GIN index, filled by a trigger on `article`.
  Passages are short and stored inline, so confirming a match is cheap. A term holding a sentence end (which
  passages never span) is matched against the whole article instead.

A trigram index cannot look up a term of one or two characters (疏勒, 援), which a scan of every article or
passage then answered, in seconds at 100,000 articles. Both databases therefore also index character bigrams
(`article_grams`, migration 0011): on SQLite an FTS5 table of bigram tokens with a one-character prefix index
(etl.store.grams), on PostgreSQL a tsvector of each article's distinct bigrams with a GIN index. A two-character
term is one bigram, a one-character term a prefix of one; SQLite keeps a term that no index can hold (ASCII
punctuation) for a scan.

Titles and bodies are stored in Simplified form (etl.text.normalise converts them) and queries are converted
the same way, so a Traditional query finds a Simplified article. A query is split on whitespace into terms; an
article matches when it holds every term, each literally (`%`, `_` and `\\` are ordinary characters).
Ranking: FTS5's bm25 on SQLite; on PostgreSQL a BM25-shaped score from occurrence counts in the title and body
(title weighted, long bodies damped), without inverse document frequency (terms weigh alike). A search ranks at
most `RANKED` matches, the most recently stored, found in id order without scoring the rest (etl.query.articles
says so to the user): the work of a query is bounded however common its terms. PostgreSQL looks for those
matches among the newest articles first, each index lookup combined with the range of ids, and widens the range
only while it holds too few (`widen`): a common term is not read in every article that holds it. Snippets are
made here from the bodies of the rows shown, the same way on both databases (FTS5's snippet() would re-tokenize
every match).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, SQLCoreOperations
from sqlalchemy.sql.selectable import LateralFromClause
from sqlmodel import Session, col

from etl.store import grams
from etl.store.models import Article
from etl.text.script import to_simplified

FTS_TABLE = "article_fts"
GRAMS_TABLE = "article_grams"  # SQLite: bigrams, for terms of one or two characters (etl.store.grams)
PASSAGE_TABLE = "article_passage"
SENTENCE_ENDS = "。！？；!?;\n"  # a PostgreSQL passage ends after one of these (migration 0004 splits there)
# Matches a search ranks and counts at most, the most recently stored (bench/README.md has the times): SQLite
# scores from the index (bm25, about 20 microseconds a match with the article's row read); PostgreSQL reads
# each ranked body to count its terms (0.1 to 0.3 ms a match at 100,000 articles, cache and load permitting).
RANKED = {"sqlite": 10_000, "postgresql": 2_000}
RANKED_ELSEWHERE = 2_000
TRIGRAM = 3  # characters in an indexed unit: shorter terms cannot use the index
WINDOW_FIRST = 4  # PostgreSQL: a search first looks among the newest 4 x RANKED articles (`widen`)
WINDOW_MARGIN = 1.5  # and, finding too few there, in a range sized from their density with this margin
HIGHLIGHT = ("«", "»")  # around each matched term in a snippet
ELLIPSIS = "…"
SNIPPET_CONTEXT = 12  # characters shown before the first match in a snippet
SNIPPET_CHARS = 40  # characters of a snippet
TITLE_WEIGHT = 3.0  # a term in the title counts as much as three in the body
BM25_K1 = 1.2  # term-frequency saturation and length damping, as in FTS5's bm25
BM25_B = 0.75
REFERENCE_BYTES = 4500  # a typical body, about 1,500 Chinese characters in UTF-8, that `occurrences` damps against
LIKE_ESCAPE = "\\"
_SPACE = re.compile(r"\s+")

passage = sa.table(
    PASSAGE_TABLE, sa.column("article_id", sa.Integer), sa.column("seq", sa.Integer), sa.column("text", sa.Text)
)


class SearchError(ValueError):
    """A query that cannot be searched for (empty, or holding a NUL character)."""


@dataclass(frozen=True)
class SearchQuery:
    """A query as typed and the Simplified, distinct terms an article must all hold."""

    text: str
    terms: tuple[str, ...]

    @property
    def indexed(self) -> tuple[str, ...]:
        """Terms the trigram index can look up."""
        return tuple(t for t in self.terms if len(t) >= TRIGRAM)

    @property
    def short(self) -> tuple[str, ...]:
        """Terms too short for the trigram index."""
        return tuple(t for t in self.terms if len(t) < TRIGRAM)

    @property
    def bigrammed(self) -> tuple[str, ...]:
        """SQLite: short terms the bigram index can look up."""
        return tuple(t for t in self.short if grams.indexable(t))

    @property
    def scanned(self) -> tuple[str, ...]:
        """SQLite: short terms no index can look up (they hold punctuation or spaces), matched by a scan."""
        return tuple(t for t in self.short if not grams.indexable(t))


def ranked_at_most(dialect: str) -> int:
    """How many matches a search on this database ranks and counts."""
    return RANKED.get(dialect, RANKED_ELSEWHERE)


def parse_query(text: str) -> SearchQuery:
    """Terms of a query: Simplified, split on whitespace, repeats dropped. Raises SearchError when none."""
    if "\x00" in text:
        raise SearchError("the search text holds a NUL character")
    terms = tuple(dict.fromkeys(t for t in _SPACE.split(to_simplified(text)) if t))
    if not terms:
        raise SearchError("the search text is empty")
    return SearchQuery(text, terms)


def fts_match(terms: tuple[str, ...]) -> str:
    """An FTS5 MATCH expression that wants every term as a literal phrase ("" is a quote inside one)."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def like_pattern(term: str) -> str:
    """`%term%` with LIKE's wildcards and its escape character made literal."""
    escaped = term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def _cased(term: str) -> bool:
    """Whether the term has letters with a case (Latin, Greek …); Chinese has none."""
    return term.lower() != term.upper()


def _holds(column: SQLCoreOperations[str | None], term: str) -> ColumnElement[bool]:
    """`column` holds `term`: case aside where it has case (ILIKE costs PostgreSQL a lower-casing of every row)."""
    pattern = like_pattern(term)
    if _cased(term):
        return column.ilike(pattern, escape=LIKE_ESCAPE)
    return column.like(pattern, escape=LIKE_ESCAPE)


def _in_article(term: str) -> ColumnElement[bool]:
    return sa.or_(_holds(col(Article.title), term), _holds(col(Article.body), term))


def _in_passages(term: str) -> bool:
    """PostgreSQL: whether the passages can answer for `term` (passages never span a sentence end)."""
    return not any(char in SENTENCE_ENDS for char in term)


def _fts_matches(terms: tuple[str, ...]) -> sa.TextClause:
    return sa.text(f"{FTS_TABLE} MATCH :fts_query").bindparams(sa.bindparam("fts_query", fts_match(terms), unique=True))


def _grams_match(terms: tuple[str, ...]) -> sa.TextClause:
    expression = " ".join(grams.match(t) for t in terms)
    return sa.text(f"{GRAMS_TABLE} MATCH :grams_query").bindparams(sa.bindparam("grams_query", expression, unique=True))


def _sqlite_index_conditions(query: SearchQuery, *, trigrams: bool) -> list[ColumnElement[bool]]:
    """SQLite: the terms each index answers, as `id IN (…)` (the trigram one unless it is joined), then scans."""
    parts: list[ColumnElement[bool]] = []
    if trigrams and query.indexed:
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        parts.append(col(Article.id).in_(sa.select(fts.c.rowid).where(_fts_matches(query.indexed))))
    if query.bigrammed:
        table = sa.table(GRAMS_TABLE, sa.column("rowid"))
        parts.append(col(Article.id).in_(sa.select(table.c.rowid).where(_grams_match(query.bigrammed))))
    return parts + [_in_article(t) for t in query.scanned]


def condition(query: SearchQuery, dialect: str, floor: int | None = None) -> ColumnElement[bool]:
    """Where-clause on `article`: it holds every term of the query (and, PostgreSQL, its id is `floor` or more:
    each index lookup is then combined with the key range, so that only that range's rows are read)."""
    if dialect == "sqlite":
        return sa.and_(*_sqlite_index_conditions(query, trigrams=True))
    parts: list[ColumnElement[bool]] = [] if floor is None else [col(Article.id) >= floor]
    lookups: list[sa.Select] = []  # the ids each index gives, intersected in one subquery
    short = tuple(t for t in query.terms if _pg_bigrammed(t))
    if short:
        table = sa.table(GRAMS_TABLE, sa.column("article_id", sa.Integer))
        holds_all = sa.text(f"{GRAMS_TABLE}.grams @@ CAST(:grams_query AS tsquery)").bindparams(
            sa.bindparam("grams_query", ts_query(short), unique=True)
        )
        # without the floor: its GIN index answers alone without reading a tsvector (11 ms for 75,000 articles),
        # where a key range invited the planner to read the range's TOASTed tsvectors one by one instead
        lookups.append(sa.select(table.c.article_id).where(holds_all))
    for term in query.terms:
        if term in short:
            continue
        if _in_passages(term):
            where = [_holds(passage.c.text, term), *_from_floor(passage.c.article_id, floor)]
            lookups.append(sa.select(passage.c.article_id).where(*where))
        else:
            parts.append(_in_article(term))
    # One subquery, run once: OFFSET 0 keeps a single lookup whole (planned with a LIMIT above it, PostgreSQL
    # would otherwise read the passages backwards in key order hoping to stop early, which reads most of them for
    # a rare term), and an INTERSECT runs each lookup once (a lookup planned as the inner side of a nested loop
    # was run again for each match of the others: 20 s for three terms at 100,000 articles)
    if len(lookups) == 1:
        parts.append(col(Article.id).in_(lookups[0].offset(0)))
    elif lookups:
        parts.append(col(Article.id).in_(sa.intersect(*lookups)))
    return sa.and_(*parts)


def _from_floor(column: ColumnElement[int], floor: int | None) -> list[ColumnElement[bool]]:
    return [] if floor is None else [column >= floor]


def widen(span: int, found: int, bound: int, newest: int) -> int:
    """PostgreSQL: how many of the newest article ids a search looks among next, after `span` of them held
    `found` matches, too few (`bound` or fewer); `newest` (the highest id) means all of them.

    A search ranks the `bound` + 1 most recent matches. When a range of the newest ids holds that many, they are
    the most recent of all and the range gave the whole answer; otherwise a wider range is tried, sized from the
    matches found so far with a margin, and at least twice as wide. A common term (held by 57,000 of 100,000
    articles) is then read in the newest 8,000 articles instead of all of them. A term found nowhere among the
    newest is rare, and a rare term is cheap to look up everywhere at once.
    """
    if found == 0:
        return newest
    return min(newest, max(2 * span, math.ceil(span * (bound + 1) / found * WINDOW_MARGIN)))


PLANNER_SETTINGS = {
    # The planner estimates a common bigram (援) well, and then reads the whole bigram table rather than its GIN
    # index, taking no account of each row's tsvector being TOASTed: 490 ms against 3 ms at 10,000 articles.
    "enable_seqscan": "off",
    # A search's estimated cost (the per-article passage counts) passes jit_above_cost, and compiling the
    # query took 863 ms of a 1,046 ms three-term search at 10,000 articles; it runs in well under that.
    "jit": "off",
    # A common term's matching passages span most of the table's pages: with the default 4 MB the bitmap of them
    # turns lossy and every passage of those pages is tested again (1.8 million instead of 120,000 for 援疆干部 at
    # 100,000 articles, 0.8 s against 0.37 s); 16 MB holds the bitmap of a 100,000-article range exactly.
    "work_mem": "16MB",
}


@contextmanager
def index_lookups(session: Session) -> Iterator[None]:
    """PostgreSQL: within the block, plan a search with `PLANNER_SETTINGS` (restored when the block ends, and
    local to the transaction in any case); a no-op on other databases."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    previous = {
        name: session.execute(sa.text("SELECT current_setting(:name)"), {"name": name}).scalar_one()
        for name in PLANNER_SETTINGS
    }
    for name, value in PLANNER_SETTINGS.items():
        session.execute(sa.text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
    try:
        yield
    finally:
        for name, value in previous.items():
            session.execute(sa.text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


def _pg_bigrammed(term: str) -> bool:
    """PostgreSQL: whether the bigram index holds `term` (one or two characters once lower-cased, as it is)."""
    return len(term.lower()) <= grams.GRAM


def ts_query(terms: tuple[str, ...]) -> str:
    """PostgreSQL: a tsquery wanting each short term: its bigram, or any lexeme starting with its character.
    Lexemes are quoted (a quote doubled, a backslash escaped), so no character has a meaning of its own."""
    parts = []
    for term in terms:
        lexeme = term.lower()
        quoted = "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
        parts.append(quoted if len(lexeme) == grams.GRAM else quoted + ":*")
    return " & ".join(parts)


def _count(column: SQLCoreOperations[str | None], term: str, dialect: str) -> ColumnElement[float]:
    """How many times `term` occurs in `column` (0 where null), counted in bytes removed by `replace`."""
    text: ColumnElement[str] = sa.func.coalesce(column, "")
    needle = term
    if _cased(term):
        text, needle = sa.func.lower(text), term.lower()
    size = sa.func.octet_length if dialect == "postgresql" else (lambda v: sa.func.length(sa.cast(v, sa.LargeBinary)))
    removed = size(sa.func.replace(text, sa.literal(needle), sa.literal("")))
    return sa.cast(size(text) - removed, sa.Float()) / len(needle.encode("utf-8"))


def _body_bytes(dialect: str) -> ColumnElement[int]:
    """The body's length in bytes: PostgreSQL reads it from the value's header, without fetching the text."""
    if dialect == "postgresql":
        return sa.func.octet_length(col(Article.body))
    return sa.func.length(sa.cast(col(Article.body), sa.LargeBinary))


def bm25_shaped(
    body: ColumnElement[float], title: ColumnElement[float], body_bytes: ColumnElement[int]
) -> ColumnElement[float]:
    """One term's score from its occurrences in the body (damped by the body's length) and in the title."""
    damping = BM25_K1 * (1 - BM25_B + BM25_B * sa.cast(body_bytes, sa.Float) / REFERENCE_BYTES)
    return body * (BM25_K1 + 1) / (body + damping) + TITLE_WEIGHT * title * (BM25_K1 + 1) / (title + BM25_K1)


@dataclass(frozen=True)
class Join:
    """A from-clause a ranked listing joins `article` to, and how."""

    target: sa.FromClause
    on: ColumnElement[bool]


@dataclass(frozen=True)
class Ranking:
    """What a ranked article listing adds to its query: joins, a filter and a score (higher first)."""

    joins: tuple[Join, ...]
    where: ColumnElement[bool]
    score: ColumnElement[float]
    recency: SQLCoreOperations[Any]  # the article id, read where the matches come from in id order (FTS5's rowid)
    # The score needs only the article's row and `joins`, none of which finds matches: it is computed for the
    # bounded set of matches once they are found (FTS5's bm25 must be computed where its MATCH is, so not there)
    scored_apart: bool = False


def ranking(query: SearchQuery, dialect: str, floor: int | None = None) -> Ranking:
    """How to find and rank the articles holding every term of `query` on this database (PostgreSQL: those with
    an id of `floor` or more, when given)."""
    if dialect == "sqlite" and query.indexed:  # ranked by the trigram index; the other terms filter
        fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
        return Ranking(
            joins=(Join(fts, col(Article.id) == fts.c.rowid),),
            where=sa.and_(_fts_matches(query.indexed), *_sqlite_index_conditions(query, trigrams=False)),
            score=sa.literal_column(f"-bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)", sa.Float),
            recency=fts.c.rowid,
        )
    if dialect == "sqlite" and query.bigrammed:  # only short terms: ranked by the bigram index
        table = sa.table(GRAMS_TABLE, sa.column("rowid", sa.Integer))
        return Ranking(
            joins=(Join(table, col(Article.id) == table.c.rowid),),
            where=sa.and_(_grams_match(query.bigrammed), *[_in_article(t) for t in query.scanned]),
            score=sa.literal_column(f"-bm25({GRAMS_TABLE}, {TITLE_WEIGHT}, 1.0)", sa.Float),
            recency=table.c.rowid,
        )
    # PostgreSQL, and SQLite's terms no index holds: found through `condition`, scored by counting occurrences
    # in the title and body of each article ranked (a bounded number: etl.query.articles)
    body_bytes = _body_bytes(dialect)
    joins: list[Join] = []
    score: ColumnElement[float] = sa.literal(0.0)
    for i, term in enumerate(query.terms):
        body: ColumnElement[float]
        if dialect == "postgresql" and _in_passages(term):
            hits = _passage_occurrences(term, f"hits_{i}")
            joins.append(Join(hits, sa.true()))
            body = hits.c.body
        else:
            body = _count(col(Article.body), term, dialect)
        score = score + bm25_shaped(body, _count(col(Article.title), term, dialect), body_bytes)
    return Ranking(tuple(joins), condition(query, dialect, floor), score, recency=col(Article.id), scored_apart=True)


def _strpos(column: ColumnElement[str], term: str) -> ColumnElement[int]:
    """Where `term` starts in `column` (0 when absent): a test no trigram index offers to answer, so that the
    planner reads an article's passages by their key instead of combining that with a lookup of every match."""
    if _cased(term):
        return sa.func.strpos(sa.func.lower(column), term.lower())
    return sa.func.strpos(column, term)


def _passage_occurrences(term: str, name: str) -> LateralFromClause:
    """PostgreSQL: the occurrences of `term` in the body of the article at hand, counted in its passages.

    Passages are stored inline, so this reads a few short rows by the passage key; counting in the body itself
    would read the TOASTed body once for each function that looks at it (0.4 ms an article, measured)."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(_count(passage.c.text, term, "postgresql")), 0.0).label("body"))
        .where(passage.c.article_id == col(Article.id), passage.c.seq > 0, _strpos(passage.c.text, term) > 0)
        .lateral(name)
    )


def make_snippet(query: SearchQuery, title: str | None, body: str) -> str:
    """A window of the body around its first match, every term marked; the title when the body has none."""
    for text in (body, title or ""):
        lowered = text.lower()
        found = [i for i in (lowered.find(t.lower()) for t in query.terms) if i >= 0]
        if found:
            start = max(0, min(found) - SNIPPET_CONTEXT)
            end = min(len(text), start + SNIPPET_CHARS)
            window = _mark(text[start:end], query.terms)
            return (ELLIPSIS if start else "") + window + (ELLIPSIS if end < len(text) else "")
    return body[:SNIPPET_CHARS] + (ELLIPSIS if len(body) > SNIPPET_CHARS else "")


def _mark(text: str, terms: tuple[str, ...]) -> str:
    """`text` with each occurrence of a term (longest first, case aside) between the highlight marks."""
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    return pattern.sub(lambda m: HIGHLIGHT[0] + m.group() + HIGHLIGHT[1], text)
