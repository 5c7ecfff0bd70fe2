"""Where requests may go, and how failed ones are retried (unit tests of the downloader middlewares)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from crawler.middlewares import BackoffRetryMiddleware, SafetyMiddleware
from etl.sources import parse_sources

REAL = {"name": "real", "start_urls": ["https://aid.example.gov.cn/list.html"], "article_patterns": [r"/c_\d+"]}
LOCAL = {"name": "local", "start_urls": ["http://127.0.0.1:9/list.html"], "article_patterns": [r"/c_\d+"],
         "local": True}


@pytest.fixture
def safety() -> SafetyMiddleware:
    sources = {s.name: s for s in parse_sources({"source": [REAL, LOCAL]}).sources}
    return SafetyMiddleware(SimpleNamespace(spider=SimpleNamespace(sources=sources)))  # type: ignore[arg-type]


def test_requests_stay_on_the_sources_domains(safety: SafetyMiddleware) -> None:
    assert safety.process_request(Request("https://www.aid.example.gov.cn/c_1", meta={"source": "real"})) is None
    with pytest.raises(IgnoreRequest, match="offsite"):
        safety.process_request(Request("https://evil.example.com/c_1", meta={"source": "real"}))


def test_a_redirect_into_a_private_address_is_refused_unless_the_source_is_local(safety: SafetyMiddleware) -> None:
    real = parse_sources({"source": [dict(REAL, allowed_domains=["aid.example.gov.cn", "10.0.0.8"])]}).sources[0]
    safety.crawler.spider.sources["real"] = real  # type: ignore[attr-defined]
    redirected = Request("http://10.0.0.8/c_1", meta={"source": "real", "redirect_urls": ["https://aid.example.gov.cn/c_1"]})
    with pytest.raises(IgnoreRequest, match="private address"):
        safety.process_request(redirected)
    assert safety.process_request(Request("http://127.0.0.1:9/c_2", meta={"source": "local"})) is None


def test_a_redirect_back_to_an_earlier_url_is_a_loop(safety: SafetyMiddleware) -> None:
    looping = Request("http://127.0.0.1:9/a.html", meta={"source": "local",
                                                          "redirect_urls": ["http://127.0.0.1:9/a.html#x",
                                                                            "http://127.0.0.1:9/b.html"]})
    with pytest.raises(IgnoreRequest, match="redirect loop"):
        safety.process_request(looping)


def retry_middleware(**settings: object) -> BackoffRetryMiddleware:
    crawler = get_crawler(Spider, {"RETRY_ENABLED": True, "RETRY_TIMES": 2, "RETRY_HTTP_CODES": [429, 500, 503],
                                   "RETRY_BACKOFF_BASE": 0.01, "RETRY_BACKOFF_MAX": 5.0, **settings})
    crawler.spider = crawler._create_spider("aid")
    return BackoffRetryMiddleware.from_crawler(crawler)


def test_retry_after_is_read_in_seconds_and_as_a_date() -> None:
    request = Request("http://a.cn/1")
    assert BackoffRetryMiddleware.retry_after(Response(request.url, headers={"Retry-After": "7"})) == 7
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    wait = BackoffRetryMiddleware.retry_after(Response(request.url, headers={"Retry-After": later}))
    assert wait is not None and 25 <= wait <= 31
    assert BackoffRetryMiddleware.retry_after(Response(request.url)) is None


def test_a_429_is_retried_after_the_wait_it_asks_for() -> None:
    middleware = retry_middleware()
    request = Request("http://a.cn/1")
    response = Response(request.url, status=429, headers={"Retry-After": "0"})
    retried = asyncio.run(middleware.process_response(request, response))
    assert isinstance(retried, Request) and retried.meta["retry_times"] == 1


def test_a_retry_after_beyond_the_cap_gives_up_instead_of_hanging() -> None:
    middleware = retry_middleware()
    request = Request("http://a.cn/1")
    response = Response(request.url, status=503, headers={"Retry-After": "3600"})
    assert asyncio.run(middleware.process_response(request, response)) is response


def test_back_off_doubles_per_try_up_to_the_cap() -> None:
    middleware = retry_middleware(RETRY_BACKOFF_BASE=2.0, RETRY_BACKOFF_MAX=10.0)
    waits = [middleware.backoff(Request("http://a.cn", meta={"retry_times": n})) for n in range(5)]
    assert waits == [2.0, 4.0, 8.0, 10.0, 10.0]
