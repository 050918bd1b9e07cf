"""Outbound HTTP to user-chosen hosts (webhooks, Mastodon instances, Bluesky PDSs and video
services, media fetches) without reaching internal hosts.

A destination's name is resolved once per request; every address it resolves to must be
public (an IPv6 form that embeds an IPv4 address is judged by that address too), and the
request then connects to the checked address while keeping the name in the Host header and
TLS SNI, so a second, different DNS answer cannot redirect it. Redirects are never followed.
The publishers' libcurl transport uses the same check (app/platforms/curl_guard.py).
OPENPOST_ALLOW_PRIVATE_HOSTS lifts the address check for development and tests only.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from app import config

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# Labels of an IPv4 address in a spelling resolvers accept: decimal, octal (0-led) or hex.
NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


class UnsafeDestination(ValueError):
    """The URL is malformed or points at an address OpenPost must not reach."""


class Unresolvable(UnsafeDestination):
    """The host name has no address (now): nothing can be sent to it."""


@dataclass(frozen=True)
class Destination:
    url: str
    host: str
    port: int
    address: IPAddress
    addresses: tuple[IPAddress, ...] = ()


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (tests replace this to script DNS answers)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if any(ip in net for net in NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    return None


def refusal(ip: IPAddress) -> str | None:
    """Why `ip` may not be contacted, or None when it is a public address."""
    if ip in METADATA:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address) and int(ip) >> 32 == 0 and int(ip) > 1:
        return f"an IPv4-compatible IPv6 address (of {ipaddress.IPv4Address(int(ip))}, deprecated)"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = refusal(inner)
            return f"an IPv6 form of {inner}, {reason}" if reason else None
    checks = (("loopback", ip.is_loopback), ("unspecified", ip.is_unspecified),
              ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
              ("carrier-grade NAT", isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT),
              ("reserved", ip.is_reserved), ("private", ip.is_private),
              ("not globally routable", not ip.is_global))
    for name, hit in checks:
        if hit:
            return f"{'an' if name[0] in 'aeiou' else 'a'} {name} address"
    return None


def odd_ipv4_spelling(host: str) -> str | None:
    """The dotted-decimal form of a host written as an IPv4 address in another spelling
    (2130706433, 0x7f.1, 017700000001, 127.1), which resolvers and libcurl accept."""
    labels = host.split(".")
    if len(labels) > 4 or not all(NUMERIC_LABEL.fullmatch(label) for label in labels):
        return None
    try:
        canonical = socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None
    return canonical if canonical != host else None


def check_url(url: str) -> Destination:
    """Parse, resolve once and vet `url`; raise UnsafeDestination naming the problem."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeDestination(f"the URL is not valid: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination("the URL must start with http:// or https:// and name a host")
    if parts.username or parts.password:
        raise UnsafeDestination("the URL must not carry a user name or password")
    host = parts.hostname
    addresses, literal = _addresses(host, port)
    if not config.allow_private_hosts():
        for ip in addresses:
            reason = refusal(ip)
            if reason:
                where = f"{host} is" if literal else f"{host} resolves to {ip},"
                raise UnsafeDestination(f"{where} {reason}; refused")
    return Destination(url=url, host=host, port=port, address=addresses[0],
                       addresses=tuple(addresses))


def _addresses(host: str, port: int) -> tuple[list[IPAddress], bool]:
    """(the addresses `host` stands for, whether it is an address literal)."""
    name = host[:-1] if host.endswith(".") else host  # a fully qualified name's root dot
    canonical = odd_ipv4_spelling(name)
    if canonical:
        reason = refusal(ipaddress.IPv4Address(canonical))
        raise UnsafeDestination(f"the host {host} is {canonical}{f', {reason},' if reason else ''}"
                                " written in an unusual spelling; refused (write addresses as "
                                "four decimal numbers)")
    try:
        return [ipaddress.ip_address(host)], True
    except ValueError:
        pass
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(name, port)]
    except OSError as exc:
        raise Unresolvable(f"{host} does not resolve: {exc}") from exc
    if not addresses:
        raise Unresolvable(f"{host} does not resolve")
    return addresses, False


def operator_chosen(url: str) -> bool:
    """Whether `url` lies under a base URL the operator configured (OPENPOST_<PLATFORM>_API_URL,
    OPENPOST_BLUESKY_VIDEO_URL) or under this server's own sandbox: those hosts are trusted
    as configured; every other host a publisher reaches was named by a user and is vetted."""
    target = httpx.URL(url)
    if ".." in target.path or "%2e" in target.raw_path.decode("ascii", "replace").lower():
        return False
    bases = config.settings().operator_urls()
    bases.append(f"{config.public_url()}/sandbox")
    for base in map(httpx.URL, filter(None, bases)):
        if (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port) \
                and (target.path + "/").startswith(base.path.rstrip("/") + "/"):
            return True
    return False


def host_header(dest: Destination) -> str:
    default = 443 if dest.url.startswith("https:") else 80
    name = f"[{dest.host}]" if ":" in dest.host else dest.host
    return name if dest.port == default else f"{name}:{dest.port}"


class GuardedTransport(httpx.BaseTransport):
    """Vets every request's destination (each redirect hop too, should a caller follow them)
    and sends it to the checked address, keeping the name in the Host header and TLS SNI."""

    def __init__(self, **kwargs):
        self._inner = httpx.HTTPTransport(**kwargs)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        dest = check_url(str(request.url))
        request.url = request.url.copy_with(host=str(dest.address))
        request.headers["Host"] = host_header(dest)
        request.extensions = {**request.extensions, "sni_hostname": dest.host}
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def client(**kwargs) -> httpx.Client:
    """A client for user-chosen URLs. It keeps no idle connections (one opened with a name's
    SNI must not carry another name's request to the same address), ignores proxy settings
    (a proxy would connect elsewhere than the checked address) and follows no redirects."""
    transport = GuardedTransport(limits=httpx.Limits(max_keepalive_connections=0))
    return httpx.Client(transport=transport, trust_env=False, follow_redirects=False, **kwargs)


def send(client: httpx.Client, method: str, url: str, *, headers: dict | None = None,
         content: bytes | None = None, timeout: float = 10.0) -> httpx.Response:
    """One request through a `client()`; vetting happens in its transport, before connecting."""
    return client.request(method, url, headers=headers, content=content, timeout=timeout,
                          follow_redirects=False)
