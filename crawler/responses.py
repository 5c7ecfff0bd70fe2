"""Reading what a server sent before the spider decides what to follow: why a fetch failed, whether the bytes
are binary, UTF-16 text made scannable, a gzip sitemap inflated within a cap, and the links of a sitemap or feed.

Kept out of the spider (``crawler/spiders/aid.py``) because none of it needs the crawl's state: each function
takes bytes or a failure and answers, so the spider reads as the Scrapy template (seeds, requests, parse,
errors) and these can be tested alone. Memory stays bounded here: ``inflate`` never holds more than its limit
plus one byte, and ``read_xml`` never resolves entities or fetches from the network.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawler import resolver
from etl.text.encoding import bom_codec

_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"Rar!", b"7z\xbc")
GZIP_MAGIC = b"\x1f\x8b"


class TooLarge(ValueError):
    """A compressed document inflates past the cap."""


def inflate(body: bytes, limit: int) -> tuple[bytes, bool]:
    """gunzip body without ever holding more than limit + 1 inflated bytes; returns (bytes, complete).

    Raises TooLarge past `limit`, zlib.error for bytes that are not gzip. `complete` is False when the data
    breaks off: what was inflated is returned, for the caller to keep.
    """
    out = bytearray()
    data = body
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out += inflater.decompress(data, limit + 1 - len(out))
        if len(out) > limit:
            raise TooLarge(f"inflates past {limit} bytes")
        if not inflater.eof:
            return bytes(out), False
        data = inflater.unused_data  # another gzip member follows (concatenated files are valid gzip)
    return bytes(out), True


@dataclass(frozen=True)
class XmlEntry:
    """One link of a sitemap, sitemap index or feed."""

    url: str
    lastmod: datetime | None = None
    is_sitemap: bool = False  # an entry of a sitemap index: another sitemap, not a page


def looks_binary(body: bytes) -> bool:
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC):
        return True
    if bom_codec(head) is not None:  # UTF-16 and UTF-32 text is full of NUL bytes
        return False
    return head.count(b"\x00") > 4


def ascii_compatible(body: bytes) -> bytes:
    """The body as bytes a byte-level link scan can read: UTF-16/32 text (with a BOM) as UTF-8."""
    bom = bom_codec(body[:4])
    if bom is None or not bom[0].startswith(("utf-16", "utf-32")):
        return body
    return body[bom[1] :].decode(bom[0], "replace").encode("utf-8")


def failure_reason(failure: Failure) -> str:
    """A short, human-readable reason for a failed fetch."""
    exc = failure.value
    if failure.check(HttpError):
        return f"HTTP {exc.response.status}"
    if failure.check(DNSLookupError, CannotResolveHostError):
        request = getattr(failure, "request", None)  # set by Scrapy on the failures it hands to errbacks
        host = urlsplit(request.url).hostname if request is not None else None
        if host in resolver.refused:
            return f"private address: {host} resolves to {resolver.refused[host]} and the source is not local"
        return "DNS lookup failed"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return "timed out"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return "connection refused"
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "max redirections" in lowered or "redirect loop" in lowered:
        return "redirect loop" if "loop" in lowered else "too many redirects"
    if "maxsize" in lowered or "larger than" in lowered or "max size" in lowered:
        return "too large"
    if "timeout" in lowered or "took longer than" in lowered:
        return "timed out"
    return text[:300]


class BadXml(ValueError):
    """A sitemap or feed that holds no XML document at all."""


@dataclass(frozen=True)
class XmlDocument:
    """A parsed sitemap or feed: its links, read lazily, and the first parse fault when the XML broke off."""

    entries: Iterator[XmlEntry]
    fault: str | None  # "line N: message" of the first error; the links before it are still read


def read_xml(body: bytes) -> XmlDocument:
    """Parse a sitemap or feed, recovering what precedes a fault. Raises BadXml when no document is left."""
    from lxml import etree  # local import: only sitemaps and feeds need it

    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise BadXml(f"bad XML: {exc}") from exc
    if root is None:
        raise BadXml("empty XML document")
    faults = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    fault = f"line {faults[0].line}: {faults[0].message.strip()}" if faults else None
    return XmlDocument(xml_entries(root), fault)


def xml_entries(root: Any) -> Iterator[XmlEntry]:
    """The links of a sitemap, a sitemap index, RSS or Atom."""
    tag = root.tag.rsplit("}", 1)[-1].lower() if isinstance(root.tag, str) else ""
    if tag in ("urlset", "sitemapindex"):
        for node in root:
            if not isinstance(node.tag, str):
                continue
            fields = {
                child.tag.rsplit("}", 1)[-1].lower(): (child.text or "").strip()
                for child in node
                if isinstance(child.tag, str)
            }
            if fields.get("loc"):
                yield XmlEntry(fields["loc"], parse_time(fields.get("lastmod")), tag == "sitemapindex")
        return
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        name = node.tag.rsplit("}", 1)[-1].lower()
        if name == "item":
            link = next((c for c in node if isinstance(c.tag, str) and c.tag.rsplit("}", 1)[-1] == "link"), None)
            if link is not None and (link.text or "").strip():
                yield XmlEntry(link.text.strip())
        elif name == "entry":
            for child in node:
                if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "link":
                    href = child.get("href")
                    if href and child.get("rel", "alternate") == "alternate":
                        yield XmlEntry(href.strip())


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
