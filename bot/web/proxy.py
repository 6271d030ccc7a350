"""The client's address behind a reverse proxy (nginx in front of the replicas).

Behind a proxy every request comes from the proxy's address, so sign-in throttling by address
would lock every official out at once and the audit log would name the proxy. Only proxies the
operator lists (LAODONG_TRUSTED_PROXIES) are believed: their X-Forwarded-For is read from the
right, past every trusted hop, to the first address a trusted proxy saw connect. Without the
setting the header is ignored, so nobody can claim another address by sending it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only the type of a request: settings read this module without aiohttp
    from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """`127.0.0.1, 10.0.0.0/8` → networks; ValueError naming the entry that is not one."""
    networks = []
    for part in value.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {part!r}") from None
    return tuple(networks)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: web.Request, trusted: Sequence[Network]) -> str:
    """The address of whoever sent the request, as far as trusted proxies vouch for it."""
    address = request.remote or "-"
    if not trusted or not _trusted(address, trusted):
        return address
    hops = [hop.strip() for value in request.headers.getall("X-Forwarded-For", []) for hop in value.split(",")]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a hop that is not an address: believe nothing past the proxy
        if not _trusted(hop, trusted):
            return hop
        address = hop
    return address
