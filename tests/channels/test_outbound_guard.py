"""The outbound-connection guard on the publishers: a Mastodon instance, Bluesky PDS or video
service that is (or turns into) an internal address is never reached, whatever its spelling,
redirects are not followed, and a platform's error page reaches the user as plain text."""

from __future__ import annotations

import ipaddress
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app import net
from app.errors import ValidationFailed
from app.platforms import signin as connect
from app.platforms.bluesky.publisher import BlueskyPublisher
from app.platforms.errors import DestinationRefused, PublishError
from app.platforms.http import make_client, send
from app.platforms.mastodon.publisher import MastodonPublisher
from tests.channels.jobs import make_job

PUBLISHERS = {"mastodon": MastodonPublisher, "bluesky": BlueskyPublisher}
SETTING = {"mastodon": "instance_url", "bluesky": "pds_url"}
CREDENTIALS = {"mastodon": {"access_token": "t0k"},
               "bluesky": {"access_jwt": "jwt", "refresh_jwt": "r", "did": "did:plc:abc"}}


class Instance:
    """A platform server on 127.0.0.1 that records every request and answers `respond(path)`."""

    def __init__(self):
        self.requests: list[str] = []
        self.respond = lambda path: (200, {"Content-Type": "application/json"},
                                     b'{"id": "1", "uri": "at://x/y/z", "cid": "c"}')
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                owner.requests.append(self.path)
                status, headers, payload = owner.respond(self.path)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(payload))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _any  # noqa: N815 (http.server's naming)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def instance():
    made = Instance()
    yield made
    made.httpd.shutdown()
    made.httpd.server_close()


@pytest.fixture
def strict(monkeypatch):
    monkeypatch.delenv("OPENPOST_ALLOW_PRIVATE_HOSTS", raising=False)


def publish(platform: str, base: str, text: str = "hello"):
    job, _ = make_job(platform, {SETTING[platform]: base, "account_id": "1"},
                      CREDENTIALS[platform], text)
    with make_client(timeout=2.0) as client:
        return PUBLISHERS[platform](client).publish(job)


def script_dns(monkeypatch, *answers: list[str]) -> list[str]:
    """net.resolve answers in turn (the last answer repeats); returns the names asked."""
    asked, queue = [], list(answers)

    def resolve(host, port):
        asked.append(host)
        return queue.pop(0) if len(queue) > 1 else queue[0]
    monkeypatch.setattr(net, "resolve", resolve)
    return asked


SPELLINGS = {
    "127.0.0.1": "a loopback address", "2130706433": "127.0.0.1, a loopback address",
    "0x7f.1": "127.0.0.1, a loopback address", "017700000001": "127.0.0.1, a loopback address",
    "127.1": "127.0.0.1, a loopback address", "localhost": "127.0.0.1, a loopback address",
    "[::ffff:127.0.0.1]": "IPv6 form of 127.0.0.1", "[::127.0.0.1]": "IPv4-compatible",
    "[64:ff9b::7f00:1]": "IPv6 form of 127.0.0.1", "[2002:7f00:1::]": "IPv6 form of 127.0.0.1",
    "[::1]": "a loopback address", "169.254.169.254": "cloud metadata",
    "224.0.0.1": "multicast", "[ff02::1]": "multicast", "240.0.0.1": "reserved",
}


@pytest.mark.parametrize("platform", ["mastodon", "bluesky"])
@pytest.mark.parametrize("host", list(SPELLINGS))
def test_every_spelling_of_an_internal_host_is_refused_at_publish_time(strict, instance,
                                                                       platform, host):
    with pytest.raises(DestinationRefused) as refused:
        publish(platform, f"http://{host}:{instance.port}")
    assert SPELLINGS[host] in refused.value.message
    assert refused.value.message.startswith(f"{platform}: OpenPost connects only to public")
    assert refused.value.code == "network_error"
    assert instance.requests == []


@pytest.mark.parametrize("platform", ["mastodon", "bluesky"])
@pytest.mark.parametrize("host", ["0177.0.0.1", "127.000.000.001", "\uff11\uff12\uff17.0.0.1"])
def test_a_host_spelling_the_url_parser_rejects_fails_the_post_cleanly(strict, instance,
                                                                       platform, host):
    with pytest.raises(DestinationRefused, match="the URL is not valid"):
        publish(platform, f"http://{host}:{instance.port}")
    assert instance.requests == []


@pytest.mark.parametrize("platform", ["mastodon", "bluesky"])
@pytest.mark.parametrize("later", [["127.0.0.1"], ["10.0.0.7"], ["64:ff9b::a00:1"],
                                   ["93.184.216.34", "127.0.0.1"]])
def test_a_name_that_rebinds_to_an_internal_address_after_connect_is_not_reached(
        strict, monkeypatch, instance, platform, later):
    asked = script_dns(monkeypatch, ["93.184.216.34"], later)
    # At connect the name is public, so the channel is accepted...
    assert connect.check_public_url("https://social.example", SETTING[platform])
    # ...and at publish time it answers with an internal address: nothing is sent there.
    with pytest.raises(DestinationRefused, match="social.example resolves to .*refused"):
        publish(platform, f"http://social.example:{instance.port}")
    assert instance.requests == []
    assert asked == ["social.example", "social.example"]


@pytest.mark.parametrize("platform", ["mastodon", "bluesky"])
def test_the_connected_address_itself_is_vetted_not_only_the_resolver_answer(
        strict, monkeypatch, instance, platform):
    # Should the resolver's answer and libcurl's connection ever differ, the connection is
    # still checked: here the vetted answer says "public" but libcurl is aimed at 127.0.0.1.
    fooled = net.Destination(url="", host="social.example", port=instance.port,
                             address=ipaddress.ip_address("127.0.0.1"),
                             addresses=(ipaddress.ip_address("127.0.0.1"),))
    monkeypatch.setattr(net, "check_url", lambda url: fooled)
    with pytest.raises(DestinationRefused, match="a connection to 127.0.0.1, a loopback"):
        publish(platform, f"http://social.example:{instance.port}")
    assert instance.requests == []


@pytest.mark.parametrize(("platform", "field", "address", "reason"), [
    ("mastodon", "instance_url", "[64:ff9b::a00:1]", "IPv6 form of 10.0.0.1, a private"),
    ("mastodon", "instance_url", "[2002:a00:1::1]", "IPv6 form of 10.0.0.1, a private"),
    ("mastodon", "instance_url", "[::10.0.0.1]", "IPv4-compatible IPv6 address (of 10.0.0.1"),
    ("bluesky", "pds_url", "[ff02::1]", "a multicast address"),
    ("bluesky", "pds_url", "0x7f.1", "127.0.0.1, a loopback address"),
])
def test_connect_refuses_internal_hosts_with_a_clear_422(strict, api, platform, field, address,
                                                         reason):
    data = {"platform": platform, "access_token": "t", "handle": "me.example",
            "app_password": "p", field: f"https://{address}/"}
    answer = api.post("/channels", json=data)
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["field"] == field
    assert reason in error["message"] and "public hosts" in error["message"]


def test_connect_refuses_a_name_resolving_to_nat64_of_a_private_address(strict, monkeypatch):
    script_dns(monkeypatch, ["64:ff9b::a00:1"])
    with pytest.raises(ValidationFailed, match="social.example resolves to 64:ff9b::a00:1"):
        connect.check_public_url("https://social.example", "instance_url")


@pytest.mark.parametrize("platform", ["mastodon", "bluesky"])
def test_redirects_are_not_followed_and_fail_with_plain_text(instance, platform):
    inner = Instance()
    try:
        instance.respond = lambda path: (302, {"Location": f"{inner.url}{path}",
                                               "Content-Type": "text/html"},
                                         b"<html><body><a href='/x'>Moved</a></body></html>")
        with pytest.raises(PublishError) as failed:
            publish(platform, instance.url)
    finally:
        inner.httpd.shutdown()
        inner.httpd.server_close()
    assert inner.requests == []
    assert failed.value.message == f"{platform}: HTTP 302 from 127.0.0.1"


PROXY_PAGE = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{}</style>"
              b"</head><body><h1>Bad Gateway</h1><script>alert(1)</script></body></html>")


@pytest.mark.parametrize("platform", ["mastodon", "bluesky"])
@pytest.mark.parametrize(("status", "kind", "body", "expected"), [
    (502, "text/html", PROXY_PAGE, "HTTP 502 from 127.0.0.1"),
    (403, "text/plain", PROXY_PAGE, "HTTP 403 from 127.0.0.1"),
    (403, "application/json",
     json.dumps({"error": "<b>Refused</b>:\n\n  your   &amp; text " + "x" * 600}).encode(),
     "Refused : your & text " + "x" * 277 + "…"),
    (403, "text/plain", b"Forbidden\r\n\tby\x00policy", "Forbidden by policy"),
])
def test_platform_error_text_reaches_the_user_bounded_and_plain(instance, platform, status,
                                                                kind, body, expected):
    instance.respond = lambda path: (status, {"Content-Type": kind}, body)
    with pytest.raises(PublishError) as failed:
        publish(platform, instance.url)
    message = failed.value.message.removeprefix(f"{platform}: ")
    assert message == expected
    assert "<" not in message and len(message) <= 300


def test_the_own_sandbox_is_operator_chosen_but_a_path_escaping_it_is_not(strict, monkeypatch,
                                                                          instance):
    monkeypatch.setenv("OPENPOST_PUBLIC_URL", instance.url)
    result = publish("mastodon", f"{instance.url}/sandbox/mastodon")
    assert result.provider_post_id == "1"
    assert instance.requests == ["/sandbox/mastodon/api/v1/statuses"]
    with make_client() as client, pytest.raises(DestinationRefused, match="loopback"):
        send(client, "GET", f"{instance.url}/sandbox/%2e%2e/api/v1/posts", platform="mastodon")
    assert len(instance.requests) == 1
