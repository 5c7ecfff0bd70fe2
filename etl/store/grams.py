"""Character bigrams of a text, the tokens of SQLite's index for search terms of one or two characters.

A trigram index (FTS5 `trigram`) cannot look up a term shorter than three characters, and Chinese place and
subject names are often two (疏勒, 新疆, 援疆) or one (援, 茶). So a second FTS5 table (`article_grams`, migration
0011) indexes every bigram of the title and body, written out by `grams` as words for FTS5's `ascii` tokenizer:
a two-character term is then one token, and a one-character term a prefix query (`援*`) answered by the table's
one-character prefix index. The last character of a run also stands alone, so that a one-character term at the
end of a run is found, and the number of tokens starting with a character is the number of times it occurs.

The `ascii` tokenizer splits on ASCII characters other than letters and digits and folds ASCII case (as SQLite's
LIKE does); every other character belongs to a token. So a run is a stretch of non-ASCII characters, ASCII letters
and digits, lower-cased, and `indexable` tells whether a term lies inside one (a term holding `%` or a space is
matched by a scan instead).

SQLite cannot compute bigrams in a trigger, so the triggers call `aidnews_grams`, a function each aidnews
connection registers (`register`). A process writing `article` without it is refused ("no such function:
aidnews_grams") rather than leaving the index behind. The index stores no copy of the text (contentless): a
delete hands back the same tokens, so what `grams` returns for a text must never change without a migration
that rebuilds the table.
"""

from __future__ import annotations

import re
import sqlite3

FUNCTION = "aidnews_grams"
GRAM = 2  # characters in an indexed token: terms this long are one token, shorter ones a prefix of one
_RUN = re.compile(r"[^\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")  # non-ASCII, or ASCII letters and digits


def grams(text: str | None) -> str | None:
    """The bigrams of each run of `text`, then the run's last character, separated by spaces."""
    if text is None:
        return None
    tokens: list[str] = []
    for run in _RUN.findall(_fold_ascii(text)):
        tokens.extend(run[i : i + GRAM] for i in range(len(run) - 1))
        tokens.append(run[-1])
    return " ".join(tokens)


def _fold_ascii(text: str) -> str:
    """Lower-case ASCII letters only, as the `ascii` tokenizer does (str.lower would fold other scripts too)."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def indexable(term: str) -> bool:
    """Whether `term` of one or two characters can be looked up in the bigram index (it lies inside a run)."""
    return 0 < len(term) <= GRAM and _RUN.fullmatch(term) is not None


def match(term: str) -> str:
    """The FTS5 query for an indexable term: the bigram itself, or any token starting with the character."""
    token = _fold_ascii(term)
    return f'"{token}"' if len(token) == GRAM else f'"{token}"*'


def register(connection: sqlite3.Connection) -> None:
    """Make `aidnews_grams` callable on this connection (the index's triggers call it)."""
    connection.create_function(FUNCTION, 1, grams, deterministic=True)
