"""Destination checks: internal addresses refused in every spelling, the checked address used."""

from __future__ import annotations

import ipaddress

import pytest

from app import net

INTERNAL = [
    "127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "192.168.1.1", "0.0.0.0",  # noqa: S104
    "169.254.169.254", "169.254.10.10", "100.64.0.1", "100.127.255.254", "224.0.0.1",
    "239.255.255.250", "240.0.0.1", "255.255.255.255", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1",
    "2002:7f00:1::1", "2002:a9fe:a9fe::1", "2002:c0a8:101::1",
]
PUBLIC = ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::5db8:d822",
          "::ffff:93.184.216.34"]


@pytest.fixture(autouse=True)
def strict(monkeypatch):
    monkeypatch.delenv("OPENPOST_ALLOW_PRIVATE_HOSTS", raising=False)


def script_dns(monkeypatch, answers):
    calls = []

    def fake_resolve(host, port):
        calls.append(host)
        return answers[host]
    monkeypatch.setattr(net, "resolve", fake_resolve)
    return calls


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_address_literal_is_refused(address):
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(net.UnsafeDestination, match="refused"):
        net.check_url(f"https://{literal}/hook")


@pytest.mark.parametrize("address", INTERNAL)
def test_name_resolving_to_internal_address_is_refused(monkeypatch, address):
    script_dns(monkeypatch, {"hooks.example.com": [address]})
    with pytest.raises(net.UnsafeDestination, match="resolves to .*refused"):
        net.check_url("https://hooks.example.com/hook")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_address_is_allowed(monkeypatch, address):
    script_dns(monkeypatch, {"hooks.example.com": [address]})
    assert net.check_url("https://hooks.example.com/x").address == ipaddress.ip_address(address)


def test_name_with_one_public_and_one_private_address_is_refused(monkeypatch):
    script_dns(monkeypatch, {"mixed.example.com": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(net.UnsafeDestination, match="10.0.0.5, a private address"):
        net.check_url("https://mixed.example.com/hook")


def test_metadata_and_mapped_forms_name_the_reason():
    with pytest.raises(net.UnsafeDestination, match="cloud metadata"):
        net.check_url("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(net.UnsafeDestination, match="IPv6 form of 127.0.0.1"):
        net.check_url("http://[::ffff:127.0.0.1]/")


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http:///nohost", "not a url",
                                 "https://user:pw@example.com/", "file:///etc/passwd"])
def test_malformed_or_non_http_urls_are_refused(url):
    with pytest.raises(net.UnsafeDestination):
        net.check_url(url)


def test_allow_private_hosts_lifts_the_check_for_development(monkeypatch):
    monkeypatch.setenv("OPENPOST_ALLOW_PRIVATE_HOSTS", "1")
    assert str(net.check_url("http://127.0.0.1:9/hook").address) == "127.0.0.1"


def test_request_goes_to_the_checked_address_with_the_name_as_host(monkeypatch, receiver):
    monkeypatch.setenv("OPENPOST_ALLOW_PRIVATE_HOSTS", "1")
    server = receiver()
    port = server.server.server_port
    # A rebinding DNS: the second answer would point elsewhere; it must never be asked.
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    calls = []
    monkeypatch.setattr(net, "resolve", lambda host, p: calls.append(host) or next(answers))
    with net.client() as client:
        response = net.send(client, "POST", f"http://hooks.example.test:{port}/in?a=1",
                            content=b"{}")
    assert response.status_code == 200
    assert calls == ["hooks.example.test"]
    assert server.requests[0]["headers"]["Host"] == f"hooks.example.test:{port}"
    assert server.requests[0]["path"] == "/in?a=1"


def test_redirects_are_returned_not_followed(monkeypatch, receiver):
    monkeypatch.setenv("OPENPOST_ALLOW_PRIVATE_HOSTS", "1")
    inner, outer = receiver(), receiver()
    outer.respond = lambda req: (302, {"Location": f"{inner.url}/admin"}, b"")
    with net.client() as client:
        response = net.send(client, "POST", f"{outer.url}/hook", content=b"{}")
    assert response.status_code == 302
    assert inner.requests == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "017700000001", "127.1",
                                  "localhost"])
def test_odd_spellings_of_loopback_are_resolved_then_refused(host):
    with pytest.raises(net.UnsafeDestination, match="loopback"):
        net.check_url(f"http://{host}/hook")


def test_a_followed_redirect_to_an_internal_host_is_refused_before_connecting(monkeypatch,
                                                                            receiver):
    # Let this test's own server count as public; everything else keeps the real policy.
    real_refusal = net.refusal
    monkeypatch.setattr(net, "refusal", lambda ip: None if str(ip) == "127.0.0.1"
                        else real_refusal(ip))
    outer = receiver()
    outer.respond = lambda req: (302, {"Location": "http://10.0.0.1/admin"}, b"")
    with net.client() as client, pytest.raises(net.UnsafeDestination, match="10.0.0.1"):
        client.post(f"{outer.url}/hook", content=b"{}", follow_redirects=True)
    assert len(outer.requests) == 1


@pytest.mark.parametrize(("address", "reason"), [
    ("::10.0.0.1", "IPv4-compatible IPv6 address (of 10.0.0.1"),
    ("::169.254.169.254", "IPv4-compatible IPv6 address (of 169.254.169.254"),
    ("::7f00:1", "IPv4-compatible IPv6 address (of 127.0.0.1"),
    ("240.0.0.1", "a reserved address"),
])
def test_ipv4_compatible_and_reserved_addresses_name_the_reason(address, reason):
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(net.UnsafeDestination) as refused:
        net.check_url(f"https://{literal}/hook")
    assert reason in str(refused.value)


@pytest.mark.parametrize("host", ["134744072", "0x8.0x8.0x8.0x8", "010.010.010.010", "8.8.2056"])
def test_unusual_spellings_of_any_ipv4_address_are_refused(host):
    # Resolvers and libcurl read these differently from a person; even a public one is refused.
    with pytest.raises(net.UnsafeDestination, match="unusual spelling"):
        net.check_url(f"https://{host}/hook")
