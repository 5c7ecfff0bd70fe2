"""Hostile documents against a real crawl and ETL pass: each is recorded for what it is, and costs nothing else.

One crawl of one hostile site (SQLite) holds most faults at once, to keep the campaign fast: a sitemap index
longer than the cap, a truncated gzip sitemap, an entity bomb, an external entity (XXE), an over-long URL in a
sitemap, a gzip Content-Encoding bomb, a slow server, UTF-16 and Big5 pages, a page nested 100,000 deep. The
memory test crawls a gzip sitemap that inflates to 1 GB and measures the crawl child's peak RSS.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hostile import HostileServer, Reply, source

from crawler.supervisor import crawl
from etl.process import etl_pass
from etl.sources import parse_source
from etl.store import engine as db
from etl.store.models import Article, Page
from etl.store.runs import RunStatus

ROOT = Path(__file__).resolve().parents[2]
XML = [(b"Content-Type", b"application/xml")]
GZIP = [(b"Content-Type", b"application/x-gzip")]
ARTICLE = "<html><head><title>援疆 {n}</title></head><body><article><p>{text}</p></article></body></html>"
LONG_TEXT = "对口援疆项目第{n}批建设资金到位，新建学校两所，受益学生约三千人。" * 4
RSS_LIMIT_BYTES = 500 * 1024 * 1024


def urlset(server: HostileServer, paths: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{server.url(p)}</loc></url>" for p in paths)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'.encode()


def article(n: int) -> bytes:
    return ARTICLE.format(n=n, text=LONG_TEXT.format(n=n)).encode()


@cache
def inflating_gzip(size: int, head: bytes = b"", content_encoding: bool = False) -> bytes:
    """gzip bytes that inflate to `size` bytes: `head`, then spaces (about 1,000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1 << 20)
    out = [packer.compress(head)]
    for _ in range(size // len(chunk)):
        out.append(packer.compress(chunk))
    out.append(packer.flush())
    return b"".join(out)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('campaign') / 'aidnews.db'}"
    db.upgrade(url)
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", url)
    mp.setenv("AIDNEWS_SITEMAP_CHILDREN_MAX", "5")
    with HostileServer() as server:
        r = server.routes
        children = [f"/s{n}.xml" for n in range(8)]
        index = "".join(f"<sitemap><loc>{server.url(c)}</loc></sitemap>" for c in children)
        r["/index.xml"] = Reply(f"<sitemapindex>{index}</sitemapindex>".encode(), headers=XML)
        filler = [f"/other/{n}" for n in range(200)]  # not article URLs: never followed
        whole = gzip.compress(urlset(server, ["/a/1.html", "/a/2.html", *filler, "/a/3.html", "/a/4.html"]))
        r["/s0.xml"] = Reply(whole[: len(whole) // 2], headers=GZIP)  # breaks off in the middle
        laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
        r["/s1.xml"] = Reply((f'<?xml version="1.0"?><!DOCTYPE urlset [{laughs}]><urlset>'
                              f"<url><loc>{server.url('/a/5.html')}</loc></url><url><loc>&l9;</loc></url>"
                              f"<url><loc>{server.url('/a/6.html')}</loc></url></urlset>").encode(), headers=XML)
        r["/s2.xml"] = Reply(('<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
                              f"<urlset><url><loc>{server.url('/a/7.html')}</loc><lastmod>&x;</lastmod></url>"
                              "</urlset>").encode(), headers=XML)
        r["/s3.xml"] = Reply(urlset(server, ["/a/" + "8" * 10_000 + ".html", "/a/8.html"]), headers=XML)
        for n in range(4, 8):
            r[f"/s{n}.xml"] = Reply(urlset(server, [f"/a/{10 + n}.html"]), headers=XML)  # 4 followed, 5-7 cut
        for n in (1, 2, 3, 4, 5, 6, 7, 8, 14):
            r[f"/a/{n}.html"] = Reply(article(n))
        links = "".join(f'<a href="/a/{n}.html">{n}</a>' for n in range(20, 26))
        r["/list"] = Reply(f"<html><body>{links}</body></html>".encode())
        r["/a/20.html"] = Reply(codecs_utf16(article(20)), headers=[(b"Content-Type", b"text/html")])
        r["/a/21.html"] = Reply(article(21), delay=6.0)  # past the local sources' 3 s timeout
        r["/a/22.html"] = Reply(inflating_gzip(64 << 20, b"<html><body>"), headers=[
            (b"Content-Type", b"text/html"), (b"Content-Encoding", b"gzip")])
        r["/a/23.html"] = Reply(ARTICLE.format(n=23, text=LONG_TEXT.format(n=23)).encode("big5", "replace"),
                                headers=[(b"Content-Type", b"text/html; charset=big5")])
        r["/a/24.html"] = Reply(b"<html><body>" + b"<div>" * 100_000 + LONG_TEXT.format(n=24).encode()
                                + b"</div>" * 100_000 + b"</body></html>")
        r["/a/25.html"] = Reply(article(25), headers=[(b"Content-Type", b"text/html; charset=utf-8"),
                                                      (b"Content-Length", b"999999")])
        table = source(server, sitemaps=[server.url("/index.xml")], start_urls=[server.url("/list")])
        run = crawl([parse_source(table, "test")], time_limit=120, engine=db.get_engine(url))
        etl = etl_pass(engine=db.get_engine(url), workers=1)
        yield {"run": run, "etl": etl, "engine": db.get_engine(url), "server": server}
    mp.undo()
    db.get_engine(url).dispose()


def codecs_utf16(body: bytes) -> bytes:
    return body.decode("utf-8").encode("utf-16")  # with its BOM


def reasons(campaign: dict[str, Any], path: str) -> list[str]:
    url = campaign["server"].url(path)
    return [e["reason"] for e in campaign["run"].errors if e["url"] == url]


def page(campaign: dict[str, Any], path: str) -> Any:
    with campaign["engine"].connect() as conn:
        return conn.execute(sa.select(Page).where(Page.url == campaign["server"].url(path))).first()


def test_the_hostile_crawl_and_etl_end_and_record_their_runs(campaign: dict[str, Any]) -> None:
    assert campaign["run"].status == RunStatus.OK, campaign["run"].error
    assert campaign["etl"].status == RunStatus.OK, campaign["etl"].error


def test_a_sitemap_index_past_the_cap_is_cut_and_the_cut_recorded(campaign: dict[str, Any]) -> None:
    assert any("sitemap index cut" in r for r in reasons(campaign, "/index.xml"))
    asked = campaign["server"].requests
    assert "/s4.xml" in asked and not {"/s5.xml", "/s6.xml", "/s7.xml"} & set(asked)


def test_a_truncated_gzip_sitemap_keeps_what_was_read(campaign: dict[str, Any]) -> None:
    assert any(r.startswith("truncated gzip") for r in reasons(campaign, "/s0.xml"))
    asked = campaign["server"].requests
    assert "/a/1.html" in asked and "/a/4.html" not in asked  # links inflated before the break were followed


def test_an_entity_bomb_keeps_the_links_before_it_and_is_recorded(campaign: dict[str, Any]) -> None:
    assert "/a/5.html" in campaign["server"].requests
    assert any(r.startswith("malformed XML") for r in reasons(campaign, "/s1.xml"))


def test_an_external_entity_is_never_read(campaign: dict[str, Any]) -> None:
    stored = page(campaign, "/s2.xml")
    hostname = Path("/etc/hostname").read_bytes().strip() if Path("/etc/hostname").exists() else b"\x00never"
    assert stored is not None and hostname not in zlib.decompress(stored.body).replace(b"file:///etc/hostname", b"")
    assert "/a/7.html" in campaign["server"].requests


def test_an_overlong_url_in_a_sitemap_is_skipped_and_recorded(campaign: dict[str, Any]) -> None:
    assert not any(len(p) > 2048 for p in campaign["server"].requests)
    assert "/a/8.html" in campaign["server"].requests
    assert campaign["run"].counts["links_too_long"] == 1


def test_a_content_encoding_bomb_and_a_slow_server_are_recorded(campaign: dict[str, Any]) -> None:
    assert reasons(campaign, "/a/22.html") == ["too large"]
    assert reasons(campaign, "/a/21.html") == ["timed out"]
    assert page(campaign, "/a/22.html") is None


def test_utf16_big5_and_deep_pages_are_stored_and_extracted(campaign: dict[str, Any]) -> None:
    with campaign["engine"].connect() as conn:
        titles = dict(conn.execute(sa.select(Article.url, Article.title)).all())
    server = campaign["server"]
    assert titles[server.url("/a/20.html")] == "援疆 20"
    assert titles[server.url("/a/23.html")] == "援疆 23"
    deep = page(campaign, "/a/24.html")
    assert deep is not None and deep.etl_status in ("done", "skipped", "error")  # judged, not hung or crashed


# -- memory --------------------------------------------------------------------------------------------------

MEASURE = """
import json, resource, sys
from crawler.supervisor import crawl
from etl.sources import parse_source
run = crawl([parse_source(json.loads(sys.argv[1]), "test")], time_limit=120)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"status": run.status, "errors": run.errors, "peak_rss": peak}))
"""


@pytest.mark.slow
def test_a_sitemap_inflating_to_1_gb_keeps_the_crawl_under_500_mb(server: HostileServer, sqlite_url: str) -> None:
    bomb = inflating_gzip(1 << 30, b'<?xml version="1.0"?><urlset>')
    assert len(bomb) < 2 << 20  # about 1 MB on the wire
    server.routes["/bomb.xml.gz"] = Reply(bomb, headers=GZIP)
    server.routes["/a/1.html"] = Reply(inflating_gzip(1 << 30, b"<html><body>"), headers=[
        (b"Content-Type", b"text/html"), (b"Content-Encoding", b"gzip")])
    table = source(server, sitemaps=[server.url("/bomb.xml.gz")], start_urls=[server.url("/list")])
    server.routes["/list"] = Reply(b'<html><body><a href="/a/1.html">1</a></body></html>')
    done = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(table)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\npeak RSS of the crawl child: {result['peak_rss'] / 2**20:.0f} MB")
    assert result["peak_rss"] < RSS_LIMIT_BYTES
    found = {e["url"]: e["reason"] for e in result["errors"]}
    assert found[server.url("/bomb.xml.gz")].startswith("too large")
    assert found[server.url("/a/1.html")] == "too large"
