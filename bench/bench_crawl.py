"""Crawl throughput: a bare Scrapy spider against the aidnews crawl (with storage), same site, same run.

    .venv/bin/python bench/bench_crawl.py [--articles 5000]

A generated local site (list pages of 50 links, article pages of ~15 KB of Chinese text) is served from memory
by a threaded static server on 127.0.0.1. Both crawlers run in child processes, one after the other, with
politeness off for the run (no AutoThrottle, no delay, 16 requests at a time); robots.txt is fetched by both.
The figure that matters is the ratio: the issue asks the aidnews crawl to reach 70% of the bare spider's rate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PER_LIST = 50
PARAGRAPHS = [
    "今年以来，援疆前方指挥部围绕产业、就业、民生三条主线，累计投入援疆资金{a}万元，实施项目{b}个。",
    "在受援县的产业园里，新建标准厂房{c}平方米，引进纺织、电子、农产品加工企业{d}家，带动当地群众就业{e}余人。",
    "援疆教师和医生扎根基层，开展“师带徒”“组团式”帮扶，培训当地教师和医护人员{f}人次。",
    "指挥部负责人介绍，下一步将继续聚焦群众急难愁盼，把更多资金和项目向乡村倾斜，推动对口支援工作走深走实。",
]


def article_html(i: int) -> bytes:
    body = "".join(
        "<p>"
        + p.format(a=100 + i % 900, b=5 + i % 40, c=2000 + i, d=3 + i % 20, e=200 + i % 700, f=500 + i % 3000)
        + "</p>\n"
        for p in PARAGRAPHS * 6
    )
    nav = "".join(f'<li><a href="/col/list_{k}.html">栏目{k}</a></li>' for k in range(1, 21))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>援疆简报第{i}期_援疆网</title></head>'
        f'<body><ul class="nav">{nav}</ul><h1>援疆简报第{i}期</h1><div class="info">发布时间：2024-05-01 '
        f'来源：援疆网</div><div class="content">{body}</div><div class="footer">版权所有 新ICP备000000号</div>'
        f"</body></html>"
    ).encode()


def list_html(page: int, pages: int, articles: int) -> bytes:
    first = (page - 1) * PER_LIST
    links = "".join(
        f'<li><a href="/art/c_{i}.html">援疆简报第{i}期</a></li>' for i in range(first, min(first + PER_LIST, articles))
    )
    nxt = f'<a href="/col/list_{page + 1}.html">下一页</a>' if page < pages else ""
    return f'<html><head><meta charset="utf-8"></head><body><ul>{links}</ul>{nxt}</body></html>'.encode()


def build_site(articles: int) -> dict[str, bytes]:
    pages = (articles + PER_LIST - 1) // PER_LIST
    site = {f"/art/c_{i}.html": article_html(i) for i in range(articles)}
    site.update({f"/col/list_{p}.html": list_html(p, pages, articles) for p in range(1, pages + 1)})
    site["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    return site


def serve(site: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            body = site.get(self.path)
            self.send_response(200 if body is not None else 404)
            body = body or b"not found"
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


BARE_SPIDER = textwrap.dedent("""
    import re, sys, scrapy
    from scrapy.crawler import CrawlerProcess

    base = sys.argv[1]

    class Bare(scrapy.Spider):
        name = "bare"
        async def start(self):
            yield scrapy.Request(base + "/col/list_1.html")
        def parse(self, response):
            for href in response.css("a::attr(href)").getall():
                if re.search(r"/(art/c_\\d+|col/list_\\d+)\\.html$", href):
                    yield response.follow(href, self.parse)
            yield {"url": response.url, "size": len(response.body)}

    process = CrawlerProcess({"LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 16,
                              "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0,
                              "AUTOTHROTTLE_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
                              "REMOTE_CONTROL_ENABLED": False, "COOKIES_ENABLED": False})
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    print(crawler.stats.get_value("downloader/response_count"))
""")


def run_bare(base: str, workdir: Path) -> tuple[int, float]:
    """Both crawlers are timed from outside, process start-up included, so the ratio is fair."""
    script = workdir / "bare_spider.py"  # a file, not -c: Scrapy inspects the callbacks' source
    script.write_text(BARE_SPIDER, encoding="utf-8")
    started = time.monotonic()
    out = subprocess.run([sys.executable, str(script), base], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]), time.monotonic() - started


def run_aidnews(base: str, workdir: Path) -> tuple[int, float]:
    source = {
        "name": "bench",
        "start_urls": [base + "/col/list_1.html"],
        "allowed_domains": ["127.0.0.1"],
        "article_patterns": [r"/art/c_\d+\.html$"],
        "list_patterns": [r"/col/list_\d+\.html$"],
        "max_depth": 1000,
        "local": True,
    }
    sources = workdir / "sources.json"
    sources.write_text(json.dumps([source]), encoding="utf-8")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}")
    migrate = "from etl.store.engine import upgrade; upgrade()"
    subprocess.run([sys.executable, "-c", migrate], env=env, check=True, cwd=ROOT)
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "crawler.run", "--sources", str(sources), "--fast"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    seconds = time.monotonic() - started
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    return int(summary.get("downloader/response_count", 0)), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    args = parser.parse_args()
    site = build_site(args.articles)
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"site: {args.articles} articles, {len(site)} URLs, {sum(map(len, site.values())) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        bare_n, bare_s = run_bare(base, Path(tmp))
        aid_n, aid_s = run_aidnews(base, Path(tmp))
    server.shutdown()
    bare_rate, aid_rate = bare_n / bare_s, aid_n / aid_s
    print(f"{'crawler':<24}{'responses':>10}{'pages/s':>10}")
    print(f"{'bare Scrapy spider':<24}{bare_n:>10}{bare_rate:>10.0f}")
    print(f"{'aidnews (with storage)':<24}{aid_n:>10}{aid_rate:>10.0f}")
    print(f"aidnews / bare = {aid_rate / bare_rate:.2f} (target >= 0.70)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
