"""The address check, pinned to the connection: a name resolver that hands Twisted only addresses a crawl may use.

A check that resolves a host name by itself and then lets the downloader resolve it again can be fooled by
DNS rebinding (a public address for the check, a loopback one a moment later for the connection), and a
check that caches its answers forever keeps trusting an address long after the name moved. Here the check
*is* the resolution: every connection the downloader opens asks this resolver, which asks the system afresh
(no cache of its own) and passes on only public addresses, so the address checked is the address connected
to, on the first request and on every redirect. Loopback, private, link-local and other non-public addresses
are passed on only for the hosts of sources marked `local` (the demo and test portals), named in the
AIDNEWS_LOCAL_DOMAINS setting. A name left with no address fails as a DNS lookup error; `refused` remembers
why, for the run's errors.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer, provider

from etl.urls import host_allowed

KEPT_REFUSALS = 1000  # host names remembered with the address they were refused for
refused: dict[str, str] = {}  # host name -> the first non-public address it resolved to (this process's crawl)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is not part of the address
    return ip.is_global and not ip.is_multicast


@provider(IResolutionReceiver)
class _PublicOnly:
    """Forwards the addresses a resolution finds, less the non-public ones (unless the host may have them).

    The `type: ignore`s below: zope interfaces declare their methods without `self`, so mypy reads a call on an
    IResolutionReceiver as having one argument too many.
    """

    def __init__(self, receiver: IResolutionReceiver, host: str, private_ok: bool) -> None:
        self.receiver = receiver
        self.host = host
        self.private_ok = private_ok

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolution)  # type: ignore[call-arg, misc]

    def addressResolved(self, address: IAddress) -> None:
        host = getattr(address, "host", "")
        if self.private_ok or (host and is_public(host)):
            self.receiver.addressResolved(address)  # type: ignore[call-arg, misc]
        elif len(refused) < KEPT_REFUSALS:
            refused.setdefault(self.host, host)

    def resolutionComplete(self) -> None:
        self.receiver.resolutionComplete()  # type: ignore[misc]


@implementer(IHostnameResolver)
class PublicAddressResolver:
    """TWISTED_DNS_RESOLVER for aidnews crawls (see the module's docstring)."""

    def __init__(self, reactor: Any, local_domains: Sequence[str]) -> None:
        self.reactor = reactor
        self.local_domains = tuple(local_domains)
        self.system: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PublicAddressResolver:
        return cls(reactor, crawler.settings.getlist("AIDNEWS_LOCAL_DOMAINS"))

    def install_on_reactor(self) -> None:
        self.system = self.reactor.nameResolver  # the system's resolver (getaddrinfo in a thread), uncached
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        private_ok = host_allowed(hostName, self.local_domains)
        return self.system.resolveHostName(
            _PublicOnly(resolutionReceiver, hostName, private_ok),
            hostName,
            portNumber,
            addressTypes,
            transportSemantics,
        )
