"""Decoded page -> BeautifulSoup tree, as cheaply as BeautifulSoup allows.

Three savings, each measured on portal pages of ~100 KB: scripts, styles and comments are cut out of the text
before parsing (fewer nodes to build; JSON-LD scripts stay, the metadata reader needs them), the lxml builder
skips the namespace bookkeeping that HTML never needs, and multi-valued attributes (class, rel) stay plain
strings. BeautifulSoup's warnings about input that looks like a file name or like XML are silenced: a page is
a page, whatever it looks like.
"""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning
from bs4.builder import LXMLTreeBuilder


class CleanError(ValueError):
    """The page could not be cleaned; the message says why."""


def sanitise(html: str) -> str:
    """NUL characters out, lone surrogates replaced: lxml refuses both."""
    if "\x00" in html:
        html = html.replace("\x00", "")
    try:
        html.encode("utf-8")
    except UnicodeEncodeError:
        html = html.encode("utf-8", "replace").decode("utf-8")
    return html


_INERT_NAMES = ("script", "style", "select", "svg", "noscript", "textarea", "template")
_INERT_OPEN = re.compile(rf"<({'|'.join(_INERT_NAMES)})\b[^>]{{0,2000}}>|<!--", re.I)
_INERT_CLOSE = {name: re.compile(rf"</{name}\s*>", re.I) for name in _INERT_NAMES}


def drop_inert(html: str) -> str:
    """Cut scripts (except JSON-LD), styles, comments and other unseen text before parsing: fewer nodes to build.

    Linear: each opener is matched with the first closer after it, and the first opener without a closer
    leaves the rest of the page to the parser.
    """
    kept: list[str] = []
    pos = 0
    while True:
        opener = _INERT_OPEN.search(html, pos)
        if opener is None:
            break
        name = (opener.group(1) or "").lower()
        if name:
            closer = _INERT_CLOSE[name].search(html, opener.end())
            if closer is None:
                break
            stop = closer.end()
            if name == "script" and "ld+json" in opener.group(0).lower():
                kept.append(html[pos:stop])
                pos = stop
                continue
        else:
            found = html.find("-->", opener.end())
            if found < 0:
                break
            stop = found + 3
        kept.append(html[pos : opener.start()])
        pos = stop
    if not kept:
        return html
    kept.append(html[pos:])
    return "".join(kept)


class HTMLTreeBuilder(LXMLTreeBuilder):
    """BeautifulSoup's lxml HTML builder without the namespace bookkeeping that HTML never needs.

    The stock builder copies every attribute dict twice, key by key, to map XML namespaces; lxml's HTML parser
    reports none, so a start tag goes straight to the soup. Anything namespaced takes the stock path.
    """

    def start(self, tag: str, attrib: dict, nsmap: dict | None = None) -> None:  # lxml's parser-target method
        prefixes = getattr(self, "active_namespace_prefixes", None)
        if nsmap or not prefixes or len(self.nsmaps) > 1 or tag[:1] == "{" or any(k[:1] == "{" for k in attrib):
            super().start(tag, attrib, nsmap or {})
            return
        self.soup.handle_starttag(tag, None, None, self.attribute_dict_class(attrib), namespaces=prefixes[-1])

    def end(self, tag: str) -> None:  # lxml's parser-target method
        if len(self.nsmaps) > 1 or tag[:1] == "{":
            super().end(tag)
            return
        self.soup.endData()
        self.soup.handle_endtag(tag, None)


def parse(html: str) -> BeautifulSoup:
    """The page's tree, unseen text already cut out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        # class and rel stay plain strings: splitting every multi-valued attribute costs more than it gives
        return BeautifulSoup(drop_inert(sanitise(html)), builder=HTMLTreeBuilder(multi_valued_attributes=None))


def select_body(soup: BeautifulSoup, selector: str) -> Tag | None:
    """The element a source's ``body_selector`` names, or None when it names nothing on this page."""
    try:
        return soup.select_one(selector)
    except Exception as exc:  # soupsieve raises its own error types for a malformed selector
        raise CleanError(f"body_selector {selector!r} is not a valid CSS selector: {exc}") from exc
