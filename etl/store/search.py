"""Full-text search over article titles and bodies, in Simplified characters, on SQLite and PostgreSQL.

Chinese is written without spaces, so neither database's word tokenizer applies; both index character
trigrams instead. SQLite: an FTS5 table `article_fts` (tokenizer `trigram`, external content: it indexes the
`article` rows and stores no copy), kept in step by triggers on `article` (migration 0004), so every insert,
replace and delete of an article updates the index in the same transaction whoever writes it. PostgreSQL: a
`pg_trgm` GIN index on the expression `SEARCH_TEXT_PG`, which the server itself keeps in step. Titles and bodies
are stored in Simplified form (etl.text.normalise converts them), and queries are converted the same way, so a
Traditional query finds a Simplified article.

A query is split on whitespace into terms; an article matches when it holds every term, each literally
(`%`, `_` and `\\` are ordinary characters). A trigram index cannot look up a term of one or two characters
(疏勒): such terms are matched by a scan (`LIKE`/`ILIKE` over the same text), slower but exact; bench_search.py
measures both paths. Ranking: SQLite FTS5's bm25; elsewhere `occurrence_score`, a BM25-shaped count of
occurrences (title weighted, long bodies damped) computed by the database, with no inverse document frequency
(all terms weigh alike).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from etl.store.models import Article
from etl.text.script import to_simplified

FTS_TABLE = "article_fts"
TRIGRAM = 3  # characters in an indexed unit: shorter terms cannot use the index
# The PostgreSQL index expression; queries must spell it the same way for the planner to use the index.
SEARCH_TEXT_PG = "(coalesce(article.title, '') || ' ' || article.body)"
PG_INDEX = "ix_article_search_trgm"
HIGHLIGHT = ("«", "»")  # around each matched term in a snippet
ELLIPSIS = "…"
SNIPPET_TOKENS = 24  # FTS5 snippet length in tokens (a trigram token per character)
SNIPPET_CONTEXT = 12  # characters shown before the first match in a snippet made here
SNIPPET_CHARS = 36  # characters of a snippet made here
TITLE_WEIGHT = 3.0  # a term in the title counts as much as three in the body
BM25_K1 = 1.2  # term-frequency saturation and length damping, as in FTS5's bm25
BM25_B = 0.75
REFERENCE_LENGTH = 1500  # characters of a typical article body, the length `occurrence_score` damps against
LIKE_ESCAPE = "\\"
_SPACE = re.compile(r"\s+")


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
    def scanned(self) -> tuple[str, ...]:
        """Terms too short for the index, matched by a scan."""
        return tuple(t for t in self.terms if len(t) < TRIGRAM)


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


def _pg_text() -> ColumnElement[str]:
    return sa.literal_column(SEARCH_TEXT_PG, sa.Text)


def _contains(term: str, dialect: str) -> ColumnElement[bool]:
    """The article holds `term` in its title or body (a scan on SQLite; the trigram index on PostgreSQL)."""
    if dialect == "postgresql":
        return _pg_text().ilike(like_pattern(term), escape=LIKE_ESCAPE)
    pattern = like_pattern(term)
    return sa.or_(Article.title.like(pattern, escape=LIKE_ESCAPE), Article.body.like(pattern, escape=LIKE_ESCAPE))


def fts_ids(terms: tuple[str, ...]) -> sa.Select:
    """SQLite: ids of the articles whose index holds every (indexed) term."""
    fts = sa.table(FTS_TABLE, sa.column("rowid"))
    return sa.select(fts.c.rowid).where(sa.text(f"{FTS_TABLE} MATCH :fts_query").bindparams(
        sa.bindparam("fts_query", fts_match(terms), unique=True)))


def condition(query: SearchQuery, dialect: str) -> ColumnElement[bool]:
    """Where-clause on `article`: it holds every term of the query."""
    if dialect == "sqlite":
        parts = [Article.id.in_(fts_ids(query.indexed))] if query.indexed else []
        parts += [_contains(t, dialect) for t in query.scanned]
    else:
        parts = [_contains(t, dialect) for t in query.terms]
    return sa.and_(*parts)


def _occurrences(column: ColumnElement[str], term: str) -> ColumnElement[float]:
    """How many times `term` occurs in `column`, case aside (0 where the column is null)."""
    text = sa.func.lower(sa.func.coalesce(column, ""))
    needle = term.lower()
    removed = sa.func.length(sa.func.replace(text, sa.literal(needle), sa.literal("")))
    return sa.cast(sa.func.length(text) - removed, sa.Float) / len(needle)


def occurrence_score(query: SearchQuery) -> ColumnElement[float]:
    """A BM25-shaped relevance: per term, saturated counts in the body (damped by length) and the title."""
    length = sa.cast(sa.func.length(Article.body), sa.Float)
    damping = BM25_K1 * (1 - BM25_B + BM25_B * length / REFERENCE_LENGTH)
    score: ColumnElement[float] = sa.literal(0.0)
    for term in query.terms:
        body = _occurrences(Article.body, term)
        title = _occurrences(Article.title, term)
        score = (score + body * (BM25_K1 + 1) / (body + damping)
                 + TITLE_WEIGHT * title * (BM25_K1 + 1) / (title + BM25_K1))
    return score


@dataclass(frozen=True)
class Ranking:
    """What a ranked article listing adds to its query: a join (SQLite FTS), a filter, a score and a snippet."""

    join: sa.TableClause | None
    where: ColumnElement[bool]
    score: ColumnElement[float]
    snippet: ColumnElement[str] | None  # None: make it with `make_snippet` from the title and body


def ranking(query: SearchQuery, dialect: str) -> Ranking:
    """How to rank articles for `query` on this database; higher scores first."""
    if dialect == "sqlite" and query.indexed:
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        where = sa.and_(
            sa.text(f"{FTS_TABLE} MATCH :fts_query").bindparams(
                sa.bindparam("fts_query", fts_match(query.indexed), unique=True)),
            *[_contains(t, dialect) for t in query.scanned])
        score = sa.literal_column(f"-bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)", sa.Float)
        snippet = sa.func.snippet(sa.literal_column(FTS_TABLE), -1, HIGHLIGHT[0], HIGHLIGHT[1], ELLIPSIS,
                                  SNIPPET_TOKENS)
        return Ranking(fts, where, score, snippet)
    return Ranking(None, condition(query, dialect), occurrence_score(query), None)


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
