"""URL canonicalisation and address safety, shared by the spider and the middlewares."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track a click or a session; they multiply one page into endless URLs.
TRACKING_PARAMS = frozenset({
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id", "spm", "from",
    "share", "share_from", "shareid", "fromuid", "scene", "clicktime", "enterid", "isappinstalled",
    "wfr", "fbclid", "gclid", "vd_source",
})
# Session parameters: dropped when their value looks like a session token (long), since a short `sid`
# is often a real section id.
SESSION_PARAMS = frozenset({"sid", "sessionid", "session_id", "phpsessid", "jsessionid", "aspsessionid", "token"})
_SESSION_PATH_PARAM = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Longer URLs are recorded as skipped, never requested, matched against a source's patterns or stored: browsers
# and servers stop near here, and PostgreSQL's index entries (about 2,700 bytes) would refuse a much longer one.
MAX_URL_LENGTH = 2048


def url_too_long(url: str) -> bool:
    """True for a URL past MAX_URL_LENGTH (counted in UTF-8 bytes, as an index stores it)."""
    return len(url) > MAX_URL_LENGTH or len(url.encode("utf-8", "surrogatepass")) > MAX_URL_LENGTH


def canonical_url(url: str) -> str:
    """One spelling per page: lower-case host, no default port, fragment, session or tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = _SESSION_PATH_PARAM.sub("", parts.path) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _noise(k.lower(), v)]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def _noise(key: str, value: str) -> bool:
    if key in TRACKING_PARAMS or key.startswith("utm_"):
        return True
    return key in SESSION_PARAMS and len(value) >= 12


def host_allowed(host: str | None, allowed_domains: tuple[str, ...] | list[str]) -> bool:
    """True when host is one of the domains or a subdomain of one."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in (d.lower().lstrip(".") for d in allowed_domains))


def _resolved(host: str) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return ()
    return tuple(sorted({info[4][0] for info in infos}))


def is_private_host(host: str | None, resolve: bool = True) -> bool:
    """True for loopback, private, link-local and other non-public addresses (or names resolving to them now).

    Names are resolved afresh on every call (no cache). A crawl does not rely on this for names: its
    connections resolve through crawler.resolver, which checks the very addresses it connects to.
    """
    if not host:
        return True
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        addresses: tuple[str, ...] = (str(ipaddress.ip_address(host)),)
    except ValueError:
        addresses = _resolved(host) if resolve else ()
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not ip.is_global or ip.is_multicast:
            return True
    return False
