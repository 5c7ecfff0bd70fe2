"""Turn page bytes into text the way Chinese portals need it (docs/text.md §3).

Rules, in order:
- a byte-order mark wins;
- a strict UTF-8 decode that succeeds is strong evidence, whatever the page declares (portals often
  declare gb2312 in ``<meta>`` over UTF-8 bytes);
- otherwise the declarations (HTTP header, ``<meta>``, XML declaration) are tried, GB2312/GBK being read as
  their superset GB18030, and the one that decodes with the fewest errors is kept;
- a page that declares nothing is read as GB18030 (UTF-8 having already failed);
- charset-normalizer is consulted only when every candidate leaves many errors, and a page that reads as
  GB18030 with few errors is never handed to a single-byte codec (cp1252, latin-1, koi8-r …).
The text is always returned: the last step decodes with replacement characters, counted in ``replaced``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

GB_FAMILY = "gb18030"
# Labels that mean "some GB encoding"; GB18030 is a superset of all of them.
GB_LABELS = frozenset(
    {
        "gb2312",
        "gbk",
        "x-gbk",
        "gb_2312-80",
        "gb_2312",
        "gb-2312",
        "gb2312-80",
        "cp936",
        "ms936",
        "windows-936",
        "x-cp936",
        "csgb2312",
        "csgbk",
        "euc-cn",
        "x-euc-cn",
        "iso-ir-58",
        "chinese",
        "gb18030",
        "gb-18030",
    }
)
# Share of the body (in characters) that may be replaced before a decode counts as failed.
FEW_ERRORS_RATIO = 0.005
FEW_ERRORS_MIN = 4
# Codecs Python knows that no web page can use: escapes, IDNA, UTF-7 (banned by the HTML standard), Windows-only.
UNUSABLE_CODECS = frozenset(
    {
        "idna",
        "punycode",
        "undefined",
        "raw-unicode-escape",
        "unicode-escape",
        "utf-7",
        "mbcs",
        "oem",
        "palmos",
        "escape",
    }
)
HEAD_SCAN_BYTES = 4096
HEAD_SCAN_LIMIT = 65536

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_CONTENT_TYPE_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.IGNORECASE)
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([^\s"'/;,>]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']\s*([^\s"']+)""", re.IGNORECASE)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_HEAD_END = re.compile(rb"</head\s*>|<body\b", re.IGNORECASE)


@dataclass
class Decoded:
    text: str
    encoding: str  # codec actually used: "utf-8", "gb18030", …
    http_charset: str | None  # from the Content-Type header, as declared (lower-case)
    meta_charset: str | None  # from <meta charset> / <meta http-equiv>, as declared (lower-case)
    detected: str | None  # charset-normalizer's guess, only when it was consulted
    replaced: int  # characters that could not be decoded (replacement chars inserted)


def http_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, lower-case, as declared."""
    if not content_type:
        return None
    match = _CONTENT_TYPE_CHARSET.search(content_type)
    return match.group(1).strip().lower() if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset declared inside the document: XML declaration, <meta charset>, <meta http-equiv>.

    The first 4 KB are scanned; when nothing is found there, the rest of <head> (up to 64 KB) is scanned too,
    since portals put long scripts and styles before the <meta>.
    """
    xml = _XML_DECLARATION.match(body[:256])
    if xml:
        return _label(xml.group(1))
    found = _meta_charset_in(body[:HEAD_SCAN_BYTES])
    if found or len(body) <= HEAD_SCAN_BYTES:
        return found
    head_end = _HEAD_END.search(body, 0, HEAD_SCAN_LIMIT)
    return _meta_charset_in(body[: head_end.start() if head_end else HEAD_SCAN_LIMIT])


def _meta_charset_in(chunk: bytes) -> str | None:
    for tag in _META_TAG.finditer(chunk):
        match = _META_CHARSET.search(tag.group(0))
        if match:
            return _label(match.group(1))
    return None


def _label(raw: bytes) -> str | None:
    label = raw.decode("ascii", "ignore").strip().strip("\"'").lower()
    return label or None


def codec_for(label: str | None) -> str | None:
    """The Python codec to use for a declared label, or None for an unknown or unusable label."""
    if not label:
        return None
    if label in GB_LABELS:
        return GB_FAMILY
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    name = info.name
    if not getattr(info, "_is_text_encoding", True) or name in UNUSABLE_CODECS:
        return None
    if name in ("gb2312", "gbk", "hz"):
        return GB_FAMILY
    if name.startswith(("utf-16", "utf-32")):
        # Without a BOM, a document whose declaration could be read as ASCII is not UTF-16 (HTML standard).
        return "utf-8"
    if name in ("latin_1", "iso8859-1"):
        return "latin-1"
    return name if _ascii_compatible(name) else None


def bom_codec(body: bytes) -> tuple[str, int] | None:
    """The codec named by a byte-order mark and the mark's length."""
    for bom, codec in BOMS:
        if body.startswith(bom):
            return codec, len(bom)
    return None


def decode_counting(body: bytes, codec: str) -> tuple[str, int]:
    """Decode, replacing what cannot be decoded; return the text and the number of replacements inserted."""
    try:
        return body.decode(codec), 0
    except UnicodeDecodeError:
        text = body.decode(codec, "replace")
        return text, text.count("\ufffd") - _literal_replacement_chars(body, codec)


def _literal_replacement_chars(body: bytes, codec: str) -> int:
    """U+FFFD characters that the body really encodes (not inserted by the decoder)."""
    try:
        marker = "\ufffd".encode(codec)
    except (UnicodeEncodeError, LookupError):
        return 0
    return body.count(marker) if marker else 0


def few_errors(replaced: int, text: str) -> bool:
    return replaced <= max(FEW_ERRORS_MIN, FEW_ERRORS_RATIO * len(text))


def strict_utf8(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def looks_chinese(text: str, sample: int = 20000) -> bool:
    """Most non-ASCII characters (of the first ``sample``) are CJK ideographs or CJK punctuation."""
    text = text[:sample]
    non_ascii = len(text) - len(_NON_ASCII.sub("", text))
    cjk = len(text) - len(_CJK.sub("", text))
    return non_ascii > 0 and cjk >= 0.9 * non_ascii


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    declared_http = http_charset(content_type)
    declared_meta = meta_charset(body)

    def result(text: str, encoding: str, replaced: int = 0, detected: str | None = None) -> Decoded:
        return Decoded(text, encoding, declared_http, declared_meta, detected, replaced)

    if not body:
        return result("", codec_for(declared_http) or codec_for(declared_meta) or "utf-8")
    bom = bom_codec(body)
    if bom:
        text, replaced = decode_counting(body[bom[1] :], bom[0])
        return result(text, bom[0], replaced)
    declared = [c for c in dict.fromkeys((codec_for(declared_http), codec_for(declared_meta))) if c]
    utf8_text = strict_utf8(body)
    if utf8_text is not None:
        if utf8_text.isascii() and declared and _ascii_compatible(declared[0]):
            return result(utf8_text, declared[0])
        return result(utf8_text, "utf-8")
    single_byte_declared = any(is_single_byte(c) for c in declared)
    if "utf-8" in declared:
        utf8_text, utf8_replaced = decode_counting(body, "utf-8")
        if mostly_utf8(utf8_text, utf8_replaced):
            return result(utf8_text, "utf-8", utf8_replaced)
    if not single_byte_declared:
        # Common path: GB pages, declared or not, decode cleanly as GB18030.
        gb_text, gb_replaced = decode_counting(body, GB_FAMILY)
        if gb_replaced == 0 and all(c == GB_FAMILY or c == "utf-8" for c in declared):
            return result(gb_text, GB_FAMILY)
    utf8_text, utf8_replaced = decode_counting(body, "utf-8")
    if mostly_utf8(utf8_text, utf8_replaced):
        return result(utf8_text, "utf-8", utf8_replaced)

    candidates = list(dict.fromkeys([*declared, GB_FAMILY]))
    decodings = [(codec, *decode_counting(body, codec)) for codec in candidates]
    if single_byte_declared:
        gb_text, gb_replaced = next((t, r) for c, t, r in decodings if c == GB_FAMILY)
        if few_errors(gb_replaced, gb_text) and looks_chinese(gb_text):
            decodings = [d for d in decodings if not is_single_byte(d[0])]
    decodings.append(("utf-8", utf8_text, utf8_replaced))
    # Fewest errors wins; ties go to the earlier candidate (HTTP, then <meta>, then GB18030, then UTF-8).
    codec, text, replaced = min(decodings, key=lambda d: d[2])
    if few_errors(replaced, text):
        return result(text, codec, replaced)
    detected = detect_charset(body)
    guess = codec_for(detected)
    if guess and guess not in candidates and guess != "utf-8":
        guess_text, guess_replaced = decode_counting(body, guess)
        if guess_replaced < replaced:
            return result(guess_text, guess, guess_replaced, detected)
    return result(text, codec, replaced, detected)


def mostly_utf8(text: str, replaced: int) -> bool:
    """Valid multi-byte UTF-8 sequences far outnumber the broken ones (a truncated or lightly damaged page).

    GBK or GB18030 bytes read as UTF-8 break at nearly every character, so this is strong evidence.
    """
    if not few_errors(replaced, text):
        return False
    multibyte = len(text.encode("utf-8", "surrogatepass")) - len(text) - 2 * text.count("\ufffd")
    return multibyte > 20 * max(replaced, 1)


@lru_cache(maxsize=64)
def is_single_byte(codec: str) -> bool:
    """One byte, one character (latin-1, cp1252, koi8-r …): such a codec reads any bytes without error, so a
    Chinese page declaring one is nearly always lying, and a clean GB18030 reading wins over it."""
    if codec == "ascii":
        return True
    high = bytes(range(0x80, 0x100))
    pairs = (b"\xc3\xa9", b"\xd6\xd0", b"\xa4\xa4", b"\x82\xa0")  # one character in UTF-8, GBK, Big5, Shift_JIS
    try:
        return len(high.decode(codec, "replace")) == len(high) and all(
            len(pair.decode(codec, "replace")) == 2 for pair in pairs
        )
    except (UnicodeError, LookupError):
        return False


def _ascii_compatible(codec: str) -> bool:
    """The codec reads ASCII markup as ASCII (EBCDIC and the like do not: a page declaring them is wrong)."""
    try:
        return b"<meta charset=x>".decode(codec) == "<meta charset=x>"
    except (UnicodeError, LookupError):
        return False


def detect_charset(body: bytes) -> str | None:
    """charset-normalizer's best guess (lower-case), used only when every declared candidate has failed."""
    from charset_normalizer import from_bytes

    best = from_bytes(body[:65536]).best()
    return best.encoding.lower() if best else None
