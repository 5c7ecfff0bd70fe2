"""Decoded page -> a light tree of elements and strings, built straight from lxml's parser events.

lxml's HTML parser (libxml2) reads the page; instead of letting BeautifulSoup wrap every event in its own
objects, :class:`TreeTarget` receives the parser's start, end and data events and keeps only what the
cleaner reads: each element's name, attributes (class and rel as plain strings), children and parent. The tree
is the one BeautifulSoup builds from the same parser (a test compares them), at a fraction of the cost: on the
shared real portal pages (~170 KB) BeautifulSoup's tree building was four fifths of the cleaner's time.
Scripts, styles and comments are cut out of the text before parsing (fewer nodes; JSON-LD scripts stay, the
metadata reader needs them).

BeautifulSoup is still used where its selector engine is needed: a source's ``body_selector`` is matched
with soupsieve on a BeautifulSoup tree of the same text, and the element it finds is located in the light
tree by its position in document order.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.builder._lxml import LXMLTreeBuilder  # where bs4 defines it (bs4.builder re-exports it only at run time)
from lxml import etree


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

    # lxml's parser-target methods. bs4 types them for XML too (bytes tags, no soup yet); an HTML parse always has
    # a soup and str names, and anything else goes the stock way.
    def start(
        self, tag: str | bytes, attrib: dict[str | bytes, str | bytes], nsmap: dict[str, str] | None = None
    ) -> None:
        prefixes = getattr(self, "active_namespace_prefixes", None)
        soup = self.soup
        if (
            soup is None
            or not isinstance(tag, str)
            or nsmap
            or not prefixes
            or len(self.nsmaps) > 1
            or tag[:1] == "{"
            or any(k[:1] == "{" for k in attrib)
        ):
            super().start(tag, attrib, nsmap or {})
            return
        soup.handle_starttag(tag, None, None, self.attribute_dict_class(attrib), namespaces=prefixes[-1])

    def end(self, tag: str | bytes) -> None:
        soup = self.soup
        if soup is None or not isinstance(tag, str) or len(self.nsmaps) > 1 or tag[:1] == "{":
            super().end(tag)
            return
        soup.endData()
        soup.handle_endtag(tag, None)


class Element:
    """One element of the page."""

    __slots__ = ("name", "attrs", "children", "parent")

    def __init__(self, name: str, attrs: dict[str, str], parent: Element | None) -> None:
        self.name = name
        self.attrs = attrs
        self.children: list[Element | str] = []
        self.parent = parent

    def iter(self, text_only: bool = False) -> Iterator[Element | str]:
        """Every element and string inside, in document order; ``text_only`` skips what is inside scripts,
        styles and templates (code, not text: BeautifulSoup's get_text skips it too)."""
        stack = [iter(self.children)]
        while stack:
            for node in stack[-1]:
                yield node
                if type(node) is Element and not (text_only and node.name in _CODE_TAGS):
                    stack.append(iter(node.children))
                    break
            else:
                stack.pop()

    def text(self, separator: str = "") -> str:
        """The visible strings inside, joined (BeautifulSoup's get_text)."""
        return separator.join(node for node in self.iter(text_only=True) if type(node) is str)  # type: ignore[misc]

    def own_text(self) -> str:
        """The strings directly inside (a script's code)."""
        return "".join(node for node in self.children if type(node) is str)  # type: ignore[misc]

    def elements(self) -> Iterator[Element]:
        """Every element inside, in document order."""
        return (node for node in self.iter() if type(node) is Element)  # type: ignore[misc]


_CODE_TAGS = frozenset({"script", "style", "template"})


class TreeTarget:
    """An lxml parser target that builds :class:`Element` trees (comments and processing instructions dropped)."""

    def __init__(self) -> None:
        self.root = Element("[document]", {}, None)
        self.open: list[Element] = [self.root]
        self.pending: list[str] = []

    def _flush(self) -> None:
        if self.pending:
            self.open[-1].children.append("".join(self.pending))
            self.pending.clear()

    def start(self, tag: str, attrib: dict[str, str], nsmap: dict | None = None) -> None:
        self._flush()
        parent = self.open[-1]
        element = Element(tag, dict(attrib), parent)
        parent.children.append(element)
        self.open.append(element)

    def end(self, tag: str) -> None:
        self._flush()
        for depth in range(len(self.open) - 1, 0, -1):  # close up to the element of that name, as BeautifulSoup does
            if self.open[depth].name == tag:
                del self.open[depth:]
                return

    def data(self, content: str) -> None:
        self.pending.append(content)

    def close(self) -> Element:
        self._flush()
        return self.root


def parse(html: str) -> Element:
    """The page's tree, unseen text already cut out."""
    text = drop_inert(sanitise(html))
    target = TreeTarget()
    if text.strip():
        parser = etree.HTMLParser(target=target, recover=True, huge_tree=True)
        try:
            parser.feed(text)
            parser.close()
        except etree.LxmlError:
            target.close()  # what was read before the error stands, as with BeautifulSoup
    return target.close()


def select_body(html: str, root: Element, selector: str) -> Element | None:
    """The element a source's ``body_selector`` names, or None when it names nothing on this page."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        # class and rel stay plain strings, as in the light tree
        soup = BeautifulSoup(drop_inert(sanitise(html)), builder=HTMLTreeBuilder(multi_valued_attributes=None))
    try:
        found = soup.select_one(selector)
    except Exception as exc:  # soupsieve raises its own error types for a malformed selector
        raise CleanError(f"body_selector {selector!r} is not a valid CSS selector: {exc}") from exc
    if found is None:
        return None
    position = next(index for index, tag in enumerate(soup.find_all(True)) if tag is found)
    return next((element for index, element in enumerate(root.elements()) if index == position), None)
