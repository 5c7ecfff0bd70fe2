"""crawler.links.resolve caches urljoin for absolute and root-relative hrefs; it must never differ from it."""

from __future__ import annotations

import random
from urllib.parse import urljoin

from crawler.links import resolve

SCHEMES = ["http", "https", "HTTP", "Https"]
HOSTS = ["a.gov.cn", "A.Gov.CN", "b.cn:8080", "u:p@c.cn", "[::1]:81", "xn--fiqs8s.cn"]
PATHS = ["", "/", "/x/y/z.html", "/a/b/", "/a/./b/../c", "/%2e%2e/x", "/列表/第2页.html"]
TAILS = ["", "?q=1", "#f", "?a=b#c", "?x=/y/z"]
HREFS = [
    "http://a.gov.cn/../b",
    "https://b.cn/./c/../d?x#y",
    "/abs/../k",
    "/",
    "//h.cn/p",
    "rel/x",
    "../up",
    "?q",
    "#f",
    "http://A.cn",
    "/a?b=c#d",
    "/p/../../q",
    "https://x.cn",
    "http:relative",
    "/新闻/援疆.html",
    "http://x.cn/a/./b/../c",
    "http://x.cn/p?",  # urljoin drops an empty query only when the base has the same scheme
    "https://x.cn/q#",
    "",
]


def test_resolve_equals_urljoin_for_every_kind_of_base_and_href() -> None:
    rng = random.Random(20261201)
    cases = 0
    for _ in range(3000):
        base = f"{rng.choice(SCHEMES)}://{rng.choice(HOSTS)}{rng.choice(PATHS)}{rng.choice(TAILS)}"
        href = rng.choice(HREFS)
        assert resolve(base, href) == urljoin(base, href), (base, href)
        assert resolve(base, href) == urljoin(base, href), (base, href)  # and again, from the cache
        cases += 1
    assert cases == 3000


def test_a_cached_href_follows_the_host_of_each_page() -> None:
    assert resolve("http://a.cn/x/1.html", "/list.html") == "http://a.cn/list.html"
    assert resolve("https://b.cn/y/2.html", "/list.html") == "https://b.cn/list.html"
    assert resolve("http://a.cn/x/1.html", "page2.html") == "http://a.cn/x/page2.html"
    assert resolve("http://c.cn/z/", "page2.html") == "http://c.cn/z/page2.html"
    assert resolve("http://C.cn/z/", "/list.html") == "http://C.cn/list.html"  # the host is kept as written


def test_a_cached_absolute_href_depends_on_the_scheme_of_the_page() -> None:
    assert resolve("https://a.cn/x", "http://x.cn/p?") == "http://x.cn/p?"
    assert resolve("http://a.cn/x", "http://x.cn/p?") == "http://x.cn/p"
    assert resolve("HTTP://a.cn/x", "http://x.cn/p?") == "http://x.cn/p"
