"""URL canonicalisation and the private-address check."""

from __future__ import annotations

import pytest

from etl.urls import canonical_url, host_allowed, is_private_host


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Aid.Example.CN:80/a.html#top", "http://aid.example.cn/a.html"),
        ("https://aid.example.cn:443/a.html?utm_source=wx&utm_medium=x", "https://aid.example.cn/a.html"),
        ("http://aid.example.cn/a.html;jsessionid=0A1B2C3D4E5F", "http://aid.example.cn/a.html"),
        ("http://aid.example.cn/a.html?sid=8f14e45fceea167a5a36dedd4bea2543&id=7", "http://aid.example.cn/a.html?id=7"),
        ("http://aid.example.cn/list?page=2&sid=12", "http://aid.example.cn/list?page=2&sid=12"),
        ("http://aid.example.cn/list?b=2&a=1", "http://aid.example.cn/list?a=1&b=2"),
        ("http://aid.example.cn:8080", "http://aid.example.cn:8080/"),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


def test_host_allowed_takes_subdomains_but_not_lookalikes() -> None:
    assert host_allowed("www.xinjiang.gov.cn", ["xinjiang.gov.cn"])
    assert host_allowed("xinjiang.gov.cn", ["xinjiang.gov.cn"])
    assert not host_allowed("evilxinjiang.gov.cn", ["xinjiang.gov.cn"])
    assert not host_allowed(None, ["xinjiang.gov.cn"])


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "10.1.2.3", "192.168.0.1", "172.16.5.4", "::1",
                                  "169.254.1.1", "localhost", "0.0.0.0"])
def test_private_hosts(host: str) -> None:
    assert is_private_host(host)


def test_public_literal_address_is_not_private() -> None:
    assert not is_private_host("202.96.128.86", resolve=False)
