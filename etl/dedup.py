"""Near-duplicate detection for syndicated copies: 64-bit SimHash over character shingles.

Chinese has no spaces, so whitespace tokens would give one token per paragraph; overlapping character
n-grams of the normalised body (punctuation and whitespace removed) are the features instead.
Written by hand because the per-bit vote is the hot part: counting the 64 bit positions over all shingle
hashes with bit-sliced adders costs a few integer operations per shingle instead of 64.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

SHINGLE = 3
BITS = 64
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_SECOND_SEED = 0x9E3779B9


def features(text: str, n: int = SHINGLE) -> set[str]:
    """The set of overlapping character n-grams of text, punctuation and whitespace removed."""
    compact = _NOISE.sub("", unicodedata.normalize("NFKC", text))
    if len(compact) <= n:
        return {compact} if compact else set()
    return {compact[i : i + n] for i in range(len(compact) - n + 1)}


def simhash(text: str) -> int:
    """A signed 64-bit SimHash (fits a BIGINT column)."""
    shingles = features(text)
    if not shingles:
        return 0
    planes: list[int] = []  # planes[k] holds bit k of every position's counter
    for shingle in shingles:
        raw = shingle.encode("utf-8")
        carry = (zlib.crc32(raw) << 32) | zlib.crc32(raw, _SECOND_SEED)  # two CRC-32s: a stable 64-bit hash
        k = 0
        while carry:
            if k == len(planes):
                planes.append(0)
            planes[k], carry = planes[k] ^ carry, planes[k] & carry
            k += 1
    half = len(shingles) / 2
    value = 0
    for bit in range(BITS):
        count = sum(((plane >> bit) & 1) << k for k, plane in enumerate(planes))
        if count > half:
            value |= 1 << bit
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def distance(a: int, b: int) -> int:
    """Hamming distance between two SimHashes."""
    return ((a ^ b) & ((1 << BITS) - 1)).bit_count()


class DuplicateIndex:
    """Articles seen so far, for finding an article's exact and near copies without a query per article.

    Entries are (content hash, simhash, sort key, duplicate_of); the sort key orders copies so that the
    earliest published (then the lowest id) is the primary.
    """

    def __init__(self, max_distance: int) -> None:
        self.max_distance = max_distance
        self.by_hash: dict[str, set[int]] = {}
        self.entries: dict[int, list] = {}

    def add(
        self, article_id: int, content_hash: str, sim: int | None, key: tuple, duplicate_of: int | None = None
    ) -> None:
        old = self.entries.get(article_id)
        if old is not None:
            self.by_hash.get(old[0], set()).discard(article_id)
        self.entries[article_id] = [content_hash, sim, key, duplicate_of]
        self.by_hash.setdefault(content_hash, set()).add(article_id)

    def duplicate_of(self, article_id: int) -> int | None:
        entry = self.entries.get(article_id)
        return entry[3] if entry else None

    def set_duplicate_of(self, article_id: int, primary: int | None) -> None:
        self.entries[article_id][3] = primary

    def group(self, article_id: int) -> list[int]:
        """The article and every article that copies it, primary first."""
        content_hash, sim, _, _ = self.entries[article_id]
        members = set(self.by_hash.get(content_hash, ()))
        if sim is not None:
            members.update(
                other
                for other, (_, other_sim, _, _) in self.entries.items()
                if other_sim is not None and distance(other_sim, sim) <= self.max_distance
            )
        members.add(article_id)
        return sorted(members, key=lambda m: self.entries[m][2])

    def snapshot(self) -> dict[int, list]:
        return {k: list(v) for k, v in self.entries.items()}

    def restore(self, snapshot: dict[int, list]) -> None:
        self.entries = snapshot
        self.by_hash = {}
        for article_id, entry in snapshot.items():
            self.by_hash.setdefault(entry[0], set()).add(article_id)
