"""The guards one by one, without a crawl: inflation caps, UTF-16/32, sources without start URLs, the resolver
pinned to the connection, stop signals, URL length, header cleaning and the migration that folds duplicates."""

from __future__ import annotations

import gzip
import os
import signal
import zlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from scrapy.utils.test import get_crawler
from twisted.internet.address import IPv4Address, IPv6Address
from typer.testing import CliRunner

from crawler import resolver
from crawler.pipelines import clean_header
from crawler.responses import TooLarge, XmlEntry, ascii_compatible, inflate, looks_binary
from crawler.spiders.aid import AidSpider
from etl.extract import extract
from etl.sources import parse_source, parse_sources
from etl.stopping import stop_on_signals
from etl.store import engine as db
from etl.urls import url_too_long

PAGE = (
    "<html><head><title>援疆 文章</title></head><body><a href='/a/1.html'>援疆</a><article><p>{}</p></article>"
    "</body></html>".format("对口援疆项目资金三千万元到位，新建学校两所。" * 6)
)


# -- inflation --------------------------------------------------------------------------------------------------


def test_inflation_stops_at_the_cap_without_holding_more() -> None:
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = bomb.compress(b"\0" * (64 << 20)) + bomb.flush()
    with pytest.raises(TooLarge):
        inflate(data, 1 << 20)
    assert inflate(gzip.compress(b"abc") + gzip.compress(b"def"), 100) == (b"abcdef", True)  # two members
    whole = gzip.compress(os.urandom(5000))
    partial, complete = inflate(whole[:3000], 1 << 20)
    assert not complete and 0 < len(partial) < 5000
    with pytest.raises(zlib.error):
        inflate(b"\x1f\x8bnot gzip at all", 100)


def test_a_sitemap_index_is_followed_up_to_its_cap_and_the_cut_is_recorded() -> None:
    source = parse_source(
        {"name": "s", "sitemaps": ["http://a.cn/index.xml"], "article_patterns": [r"/c/\d+$"]}, "test"
    )
    crawler = get_crawler(AidSpider, {"SITEMAP_CHILDREN_MAX": 3})
    spider = AidSpider.from_crawler(crawler, sources=[source])
    entries = [XmlEntry(f"http://a.cn/s{n}.xml", is_sitemap=True) for n in range(10)]
    requests = list(spider.follow_entries(source, "http://a.cn/index.xml", iter(entries), 0))
    assert [r.url for r in requests] == ["http://a.cn/s0.xml", "http://a.cn/s1.xml", "http://a.cn/s2.xml"]
    assert spider.counts["sitemaps_cut"] == 1 and "sitemap index cut" in spider.errors[0]["reason"]


# -- UTF-16 and UTF-32 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_pages_with_a_bom_are_text_and_their_links_are_read(encoding: str) -> None:
    body = PAGE.encode(encoding)
    if not body.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        body = ("\ufeff" + PAGE).encode(encoding)  # the -be codecs write no BOM of their own
    assert not looks_binary(body)
    assert b"href='/a/1.html'" in ascii_compatible(body)
    extraction = extract(body, url="http://a.cn/a/2.html", content_type="text/html")
    assert extraction.title == "援疆 文章" and "三千万元" in extraction.body


def test_nul_bytes_without_a_bom_are_still_binary() -> None:
    assert looks_binary(b"GIF89a" + b"\0" * 100) and looks_binary(b"x\0y\0z\0a\0b\0c\0" * 10)


# -- sources -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ["sitemaps", "feeds"])
def test_a_source_with_only_sitemaps_or_only_feeds_is_valid(entry: str, tmp_path: Path) -> None:
    table = {"name": "s", entry: ["https://aid.example.cn/x.xml"], "article_patterns": [r"/c/\d+\.html$"]}
    config = parse_sources({"source": [table]}).sources[0]
    assert config.start_urls == () and config.allowed_domains == ("aid.example.cn",)
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[[source]]\nname = "s"\n{entry} = ["https://aid.example.cn/x.xml"]\n'
        'article_patterns = ["/c/\\\\d+\\\\.html$"]\n',
        encoding="utf-8",
    )
    from aidnews.cli import app

    result = CliRunner().invoke(app, ["check-sources", "--sources", str(path)])
    assert result.exit_code == 0, result.output


def test_a_source_with_no_entry_at_all_is_still_refused() -> None:
    with pytest.raises(ValueError, match="start_urls"):
        parse_sources({"source": [{"name": "s", "article_patterns": ["x"]}]})


# -- the resolver ------------------------------------------------------------------------------------------------


class Receiver:
    def __init__(self) -> None:
        self.addresses: list[Any] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:  # noqa: N802 (Twisted's interface)
        pass

    def addressResolved(self, address: Any) -> None:  # noqa: N802
        self.addresses.append(address)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.complete = True


class System:
    """A system resolver whose answers the test sets, counting how often it is asked (no cache may hide one)."""

    def __init__(self, answers: dict[str, list[Any]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def resolveHostName(self, receiver: Any, host: str, *args: Any) -> Any:  # noqa: N802
        self.asked.append(host)
        receiver.resolutionBegan(None)
        for address in self.answers[host]:
            receiver.addressResolved(address)
        receiver.resolutionComplete()
        return None


def test_the_resolver_passes_public_addresses_only_and_asks_afresh_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resolver, "refused", {})
    system = System(
        {
            "public.example.cn": [IPv4Address("TCP", "202.96.128.86", 0)],
            "rebind.example.cn": [IPv4Address("TCP", "127.0.0.1", 0), IPv6Address("TCP", "::1", 0)],
            "mixed.example.cn": [IPv4Address("TCP", "10.0.0.5", 0), IPv4Address("TCP", "202.96.128.86", 0)],
            "portal.test": [IPv4Address("TCP", "127.0.0.1", 0)],
        }
    )
    guard = resolver.PublicAddressResolver(reactor=None, local_domains=["portal.test"])
    guard.system = system

    def resolve(host: str) -> list[str]:
        receiver = Receiver()
        guard.resolveHostName(receiver, host, 80)
        assert receiver.complete
        return [a.host for a in receiver.addresses]

    assert resolve("public.example.cn") == ["202.96.128.86"]
    assert resolve("rebind.example.cn") == []  # the connection gets no address: it fails, nothing is reached
    assert resolver.refused["rebind.example.cn"] == "127.0.0.1"
    assert resolve("mixed.example.cn") == ["202.96.128.86"]
    assert resolve("portal.test") == ["127.0.0.1"]  # a local source's host
    assert resolve("rebind.example.cn") == [] and system.asked.count("rebind.example.cn") == 2  # no cache


def test_a_name_that_resolves_to_a_private_address_is_refused_at_connection_time(sqlite_url: str, server: Any) -> None:
    import socket

    from hostile import Reply, source

    from crawler.supervisor import crawl

    name = socket.gethostname()
    try:
        address = socket.getaddrinfo(name, None)[0][4][0]
    except OSError:
        pytest.skip(f"this machine's name {name!r} does not resolve")
    if resolver.is_public(address) or name == "localhost":
        pytest.skip(f"this machine's name {name!r} resolves to a public address")
    server.routes["/list"] = Reply(b"<html>nothing</html>")
    table = source(server, local=False, allowed_domains=[name], start_urls=[f"http://{name}:{server.port}/list"])
    run = crawl([parse_source(table, "test")], time_limit=60)
    assert server.requests == []  # not even robots.txt
    assert any(e["reason"].startswith(f"private address: {name} resolves to") for e in run.errors), run.errors


# -- the rest ------------------------------------------------------------------------------------------------------


def test_header_values_lose_control_characters_but_keep_text() -> None:
    assert clean_header("a\x00b\x1b[2J\r\nc\td\x7f") == "ab[2Jc\td"
    assert clean_header("caf\xc3\xa9") == "caf\xc3\xa9"  # UTF-8 bytes read as Latin-1 stay as they came


def test_url_length_is_counted_in_bytes() -> None:
    assert not url_too_long("http://a.cn/" + "x" * 2000)
    assert url_too_long("http://a.cn/" + "x" * 2040)
    assert url_too_long("http://a.cn/" + "援" * 700)  # 2,100 bytes in UTF-8


def test_a_stop_signal_ends_the_block_first_and_the_process_after() -> None:
    finished = []
    with pytest.raises(SystemExit) as ended:
        with stop_on_signals() as stop:
            os.kill(os.getpid(), signal.SIGTERM)
            assert stop()
            finished.append(True)
    assert finished and ended.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_the_migration_folds_duplicate_page_versions(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(db.alembic_config(url), "0005")
    engine = db.get_engine(url)
    row = "('http://a.cn/1', 'http://a.cn/1', 'article', 200, '{{}}', x'00', 1, '{sha}', '2024-01-01', 'done')"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO page (url, final_url, kind, status, headers, body, size, sha256, "
            "fetched_at, etl_status) VALUES " + ", ".join(row.format(sha=s) for s in ("aaa", "aaa", "bbb", "aaa"))
        )
        conn.exec_driver_sql(
            "INSERT INTO article (page_id, url, canonical_url, body, body_original, "
            "content_hash, pinyin_stripped, garbled_found, garbled_repaired, garbled_spans, images, "
            "provider_inferred, recipient_inferred, topics, extractor_version, created_at, "
            "updated_at) VALUES (4, 'u', 'u', '', '', 'h', 0, 0, 0, '[]', '[]', 0, 0, '[]', '', "
            "'2024-01-01', '2024-01-01')"
        )
    db.upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id, sha256 FROM page ORDER BY id")).all() == [(1, "aaa"), (3, "bbb")]
        assert conn.execute(sa.text("SELECT page_id FROM article")).scalar_one() == 1
    engine.dispose()
