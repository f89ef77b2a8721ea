"""Who the client is: the TCP peer, unless the peer is one of our configured reverse proxies.

X-Forwarded-For is written by whoever sends the request, so it is believed only from a trusted
proxy (settings.trusted_proxies, empty by default), and even then only up to the first address
a trusted proxy did not add: the header is read from the right, skipping our own proxies.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import Scope

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


class ClientAddress:
    def __init__(self, trusted_proxies: Iterable[IPNetwork]) -> None:
        self.trusted = tuple(trusted_proxies)

    def is_trusted(self, host: str) -> bool:
        if not self.trusted:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def __call__(self, scope: Scope) -> str:
        peer = scope.get("client")
        host = peer[0] if peer else UNKNOWN
        if not self.is_trusted(host):
            return host
        hops = [h.strip() for k, v in scope.get("headers", ()) if k == b"x-forwarded-for"
                for h in v.decode("latin-1").split(",")]
        for hop in reversed(hops):
            if not hop:
                continue
            if not _is_ip(hop):
                # A mangled entry ends the trusted chain: the proxy that wrote it is the last we know.
                return host
            if not self.is_trusted(hop):
                return hop
            host = hop
        return host


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
