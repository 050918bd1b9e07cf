"""The outbound-connection guard on libcurl: a user-chosen host is resolved and vetted by app.net,
libcurl is pinned to the vetted addresses, and every socket it opens is vetted again."""

from __future__ import annotations

import ipaddress
import socket

import httpx
import pycurl

from app import config, net

# The request extension that marks a host a user chose (a Mastodon instance, a Bluesky PDS).
GUARD = "openpost.guard"


class CurlGuard:
    """One request's guard. `refused` names the address a connection was refused to, if any."""

    def __init__(self, dest: net.Destination) -> None:
        self.dest = dest
        self.refused: str | None = None

    @classmethod
    def for_request(cls, request: httpx.Request) -> CurlGuard | None:
        """The guard for a request to a user-chosen host (None for operator-chosen hosts and
        when OPENPOST_ALLOW_PRIVATE_HOSTS is set); raises UnsafeDestination before connecting."""
        if not request.extensions.get(GUARD) or config.allow_private_hosts():
            return None
        url = str(request.url)
        if net.operator_chosen(url):
            return None
        return cls(net.check_url(url))

    def apply(self, curl: pycurl.Curl) -> None:
        dest = self.dest
        # A proxy from the environment would connect elsewhere than the checked address.
        curl.setopt(pycurl.PROXY, "")
        if not _is_literal(dest.host):
            pinned = ",".join(f"[{ip}]" if ip.version == 6 else str(ip) for ip in dest.addresses)
            curl.setopt(pycurl.RESOLVE, [f"+{dest.host}:{dest.port}:{pinned}"])
        curl.setopt(pycurl.OPENSOCKETFUNCTION, self._open)

    def _open(self, _purpose: int, address) -> socket.socket | int:
        """libcurl's socket for one connection attempt, or SOCKET_BAD to veto it."""
        ip = ipaddress.ip_address(str(address.addr[0]).split("%")[0])
        reason = net.refusal(ip)
        if reason:
            self.refused = f"{self.dest.host}: a connection to {ip}, {reason}; refused"
            return pycurl.SOCKET_BAD
        return socket.socket(address.family, address.socktype, address.protocol)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
