"""Machine-readable indexes of the hq site: sitemaps (plain, index, gzip) and an RSS 2.0 feed."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from email.utils import format_datetime
from xml.sax.saxutils import escape

from crawler.demo.catalogue import Entry
from crawler.demo.hq import COLUMN, SITE_NAME

SITEMAP = "/hq/sitemap.xml"  # newest half, plain urlset
SITEMAP_ARCHIVE = "/hq/sitemap_archive.xml.gz"  # the older half, gzip
SITEMAP_INDEX = "/hq/sitemap_index.xml"  # points at both
RSS = "/hq/rss.xml"
_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def split(entries: Sequence[Entry]) -> tuple[Sequence[Entry], Sequence[Entry]]:
    half = (len(entries) + 1) // 2
    return entries[:half], entries[half:]


def urlset(base_url: str, entries: Sequence[Entry]) -> bytes:
    rows = "".join(
        f"<url><loc>{escape(base_url + e.path)}</loc><lastmod>{e.published_at.isoformat(timespec='seconds')}"
        f"</lastmod><changefreq>never</changefreq></url>\n"
        for e in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {_NS}>\n{rows}</urlset>\n'.encode()


def sitemap(base_url: str, entries: Sequence[Entry]) -> bytes:
    return urlset(base_url, split(entries)[0])


def sitemap_archive(base_url: str, entries: Sequence[Entry]) -> bytes:
    return gzip.compress(urlset(base_url, split(entries)[1]), mtime=0)


def sitemap_index(base_url: str, entries: Sequence[Entry]) -> bytes:
    newest, oldest = split(entries)
    rows = []
    for path, part in ((SITEMAP, newest), (SITEMAP_ARCHIVE, oldest)):
        lastmod = f"<lastmod>{part[0].published_at.isoformat(timespec='seconds')}</lastmod>" if part else ""
        rows.append(f"<sitemap><loc>{escape(base_url + path)}</loc>{lastmod}</sitemap>\n")
    body = "".join(rows)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex {_NS}>\n{body}</sitemapindex>\n'.encode()


def rss(base_url: str, entries: Sequence[Entry]) -> bytes:
    items = "".join(
        f"<item><title>{escape(e.article.title)}</title><link>{escape(base_url + e.path)}</link>"
        f'<guid isPermaLink="true">{escape(base_url + e.path)}</guid>'
        f"<pubDate>{format_datetime(e.published_at)}</pubDate>"
        f"<description>{escape(e.article.paragraphs[0][:120])}</description></item>\n"
        for e in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>{SITE_NAME} - {COLUMN}</title><link>{base_url}/hq/gzdt/list_1.html</link>
<description>{SITE_NAME}{COLUMN}</description><language>zh-cn</language>
{items}</channel></rss>
""".encode()
