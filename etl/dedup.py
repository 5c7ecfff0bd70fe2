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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import combinations

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


BLOCKS = 3  # the hash is looked up in (at most) this many blocks (of 21 or 22 bits)


def bands(max_distance: int, bits: int = BITS) -> list[tuple[int, int]]:
    """(shift, mask) of the blocks that together cover the hash's bits: `max_distance` + 1 of them, at most
    `BLOCKS`.

    Two hashes `max_distance` or fewer bits apart differ in at most `max_distance` // (number of blocks) bits of
    one block at least (the pigeonhole principle): looking up each block of a hash, and its variants with up to
    that many bits flipped, finds every near copy, and only the few hashes filed under those keys are compared
    whole. With the ETL's distance of 10: three blocks of 21 or 22 bits, each looked up under 1,562 or 1,794 keys
    (none to three bits flipped); about 1 ms an article at 100,000 articles and 5 ms at a million
    (bench/bench_dedup.py), against 18 and 181 ms comparing it with every article.
    """
    count = max(1, min(max_distance + 1, BLOCKS, bits))
    out, shift = [], 0
    for number in range(count):
        width = bits // count + (1 if number < bits % count else 0)
        out.append((shift, (1 << width) - 1))
        shift += width
    return out


def flips(width: int, radius: int) -> list[int]:
    """Every mask of `width` bits with at most `radius` bits set, the empty one first."""
    return [sum(1 << bit for bit in chosen) for r in range(radius + 1) for chosen in combinations(range(width), r)]


class DuplicateIndex:
    """Articles seen so far, for finding an article's exact and near copies without a query per article.

    Entries are (content hash, simhash, sort key, duplicate_of); the sort key orders copies so that the
    earliest published (then the lowest id) is the primary. Near copies are found through the hash's blocks
    (`bands`): comparing an article with every other one cost 18-60 ms at 100,000 articles, once per article
    written.
    """

    def __init__(self, max_distance: int) -> None:
        self.max_distance = max_distance
        self.by_hash: dict[str, int | set[int]] = {}  # a lone article's id as it is, several in a set
        self.entries: dict[int, list] = {}
        self._bands = bands(max_distance)
        radius = max_distance // len(self._bands)
        self._flips = [flips(mask.bit_length(), radius) for _, mask in self._bands]
        self._by_band: list[dict[int, int | set[int]]] = [{} for _ in self._bands]
        self._undo: list[tuple[int, list | None]] | None = None

    def _keys(self, sim: int) -> list[int]:
        unsigned = sim & ((1 << BITS) - 1)
        return [(unsigned >> shift) & mask for shift, mask in self._bands]

    def _put(self, article_id: int, entry: list | None) -> None:
        """Replace the article's entry (None: remove it), keeping the lookups in step."""
        old = self.entries.pop(article_id, None)
        if old is not None:
            _unfile(self.by_hash, old[0], article_id)
            if old[1] is not None:
                for band, key in zip(self._by_band, self._keys(old[1]), strict=True):
                    _unfile(band, key, article_id)
        if entry is None:
            return
        self.entries[article_id] = entry
        _file(self.by_hash, entry[0], article_id)
        if entry[1] is not None:
            for band, key in zip(self._by_band, self._keys(entry[1]), strict=True):
                _file(band, key, article_id)

    def _remember(self, article_id: int) -> None:
        if self._undo is not None:
            old = self.entries.get(article_id)
            self._undo.append((article_id, list(old) if old is not None else None))

    def add(
        self, article_id: int, content_hash: str, sim: int | None, key: tuple, duplicate_of: int | None = None
    ) -> None:
        self._remember(article_id)
        self._put(article_id, [content_hash, sim, key, duplicate_of])

    def duplicate_of(self, article_id: int) -> int | None:
        entry = self.entries.get(article_id)
        return entry[3] if entry else None

    def set_duplicate_of(self, article_id: int, primary: int | None) -> None:
        self._remember(article_id)
        self.entries[article_id][3] = primary

    def group(self, article_id: int) -> list[int]:
        """The article and every article that copies it, primary first."""
        content_hash, sim, _, _ = self.entries[article_id]
        members = set(filed(self.by_hash, content_hash))
        if sim is not None:
            candidates: set[int] = set()
            for band, key, variants in zip(self._by_band, self._keys(sim), self._flips, strict=True):
                for flip in variants:
                    candidates.update(filed(band, key ^ flip))
            members.update(other for other in candidates if distance(self.entries[other][1], sim) <= self.max_distance)
        members.add(article_id)
        return sorted(members, key=lambda m: self.entries[m][2])

    @contextmanager
    def undone_on_error(self) -> Iterator[None]:
        """Changes made within the block are undone if it raises (its database transaction rolled back): a
        journal of the entries changed, not a copy of the whole index (376 ms a batch at 100,000 articles)."""
        outer, self._undo = self._undo, []
        try:
            yield
        except BaseException:
            for article_id, entry in reversed(self._undo):
                self._put(article_id, entry)
            raise
        finally:
            self._undo = outer


# Most keys file one article: its id is kept as it is, and a set only where several share the key (a set of one
# would cost 216 bytes, three times over per article, about 650 MB at a million articles)


def filed(lookup: dict, key: object) -> Iterable[int]:
    """The articles filed under `key`."""
    members = lookup.get(key)
    if members is None:
        return ()
    return members if isinstance(members, set) else (members,)


def _file(lookup: dict, key: object, article_id: int) -> None:
    members = lookup.get(key)
    if members is None:
        lookup[key] = article_id
    elif isinstance(members, set):
        members.add(article_id)
    elif members != article_id:
        lookup[key] = {members, article_id}


def _unfile(lookup: dict, key: object, article_id: int) -> None:
    members = lookup.get(key)
    if isinstance(members, set):
        members.discard(article_id)
        if len(members) == 1:
            lookup[key] = next(iter(members))
    elif members == article_id:
        del lookup[key]
