"""The publishers' HTTP client on libcurl, against a real HTTP server on 127.0.0.1: what the
platform receives, what the publisher reads back, and which failures count as "maybe sent"."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from app.platforms.errors import NetworkError
from app.platforms.http import make_client, send


class Server:
    """Answers by path; records each request and every new connection."""

    def __init__(self):
        self.requests: list[dict] = []
        self.connections = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                server.connections += 1
                super().setup()

            def _any(self):
                size = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(size) if size else b""
                server.requests.append({"method": self.command, "path": self.path,
                                        "headers": dict(self.headers), "body": body})
                route = self.path.split("?")[0]
                if route == "/hang":
                    time.sleep(3)
                if route == "/cut":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if route == "/gzip":
                    self._answer(200, gzip.compress(b'{"zipped": true}'),
                                 {"Content-Encoding": "gzip"})
                elif route == "/chunked":
                    self.send_response(201, "Made")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.send_header("X-Rate-Limit-Remaining", "7")
                    self.end_headers()
                    for piece in (b'{"id": ', b'"42"}'):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                elif route == "/set-cookie":
                    self._answer(200, b"{}", {"Set-Cookie": "session=account-a; Path=/"})
                elif route == "/close-after":
                    self.close_connection = True
                    self._answer(200, b"{}", {"Connection": "close"})
                else:
                    self._answer(200, json.dumps({"echo": len(body)}).encode(), {})

            do_GET = do_POST = do_PUT = do_DELETE = _any  # noqa: N815 (http.server's naming)

            def _answer(self, status, payload, headers):
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def handle(self):
                # The client may give up first (the timeout test).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def client():
    with make_client(timeout=httpx.Timeout(1.0, connect=1.0)) as c:
        yield c


def test_json_post_arrives_as_sent_and_the_answer_reads_back(server, client):
    answer = client.post(f"{server.url}/api/v1/statuses?x=1", json={"status": "caf\u00e9"},
                         headers={"Authorization": "Bearer t0k", "Idempotency-Key": "k-1"})
    assert answer.status_code == 200 and answer.reason_phrase == "OK"
    [seen] = server.requests
    assert answer.json() == {"echo": len(seen["body"])}
    assert (seen["method"], seen["path"]) == ("POST", "/api/v1/statuses?x=1")
    assert json.loads(seen["body"]) == {"status": "caf\u00e9"}
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert headers["authorization"] == "Bearer t0k" and headers["idempotency-key"] == "k-1"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "OpenPost" and "expect" not in headers


def test_binary_upload_is_sent_byte_for_byte_without_an_invented_content_type(server, client):
    data = bytes(range(256)) * 64 + b"\x00\x00end"
    answer = client.put(f"{server.url}/upload", content=data,
                        headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
    assert answer.json() == {"echo": len(data)}
    [seen] = server.requests
    assert seen["body"] == data and seen["method"] == "PUT"
    assert "content-type" not in {k.lower() for k in seen["headers"]}


def test_bodiless_get_and_delete(server, client):
    assert client.get(f"{server.url}/status").json() == {"echo": 0}
    assert client.delete(f"{server.url}/status/1").status_code == 200
    assert [(r["method"], r["body"]) for r in server.requests] == [("GET", b""),
                                                                    ("DELETE", b"")]


def test_compressed_and_chunked_answers_are_decoded(server, client):
    assert client.get(f"{server.url}/gzip").json() == {"zipped": True}
    answer = client.post(f"{server.url}/chunked", json={})
    assert (answer.status_code, answer.reason_phrase) == (201, "Made")
    assert answer.json() == {"id": "42"}
    assert answer.headers["x-rate-limit-remaining"] == "7"


def test_connections_are_kept_alive_and_a_closed_one_is_replaced(server, client):
    for _ in range(3):
        client.get(f"{server.url}/a")
    assert server.connections == 1
    client.get(f"{server.url}/close-after")  # the server closes after answering
    assert client.get(f"{server.url}/b").status_code == 200
    assert server.connections == 2


def test_a_cookie_one_account_was_given_never_rides_along_with_the_next_request(server, client):
    # One thread's client serves every account: a cookie set in one account's answer stays
    # out of every later request, whoever it is for.
    client.get(f"{server.url}/set-cookie", headers={"Authorization": "Bearer account-a"})
    client.post(f"{server.url}/api/v1/statuses", json={},
                headers={"Authorization": "Bearer account-b"})
    assert [{k.lower() for k in r["headers"]} & {"cookie"} for r in server.requests] == [set(),
                                                                                        set()]
    with pytest.raises(ValueError, match="no cookies"):
        client.cookies = {"session": "x"}


def test_the_same_endpoint_twice_with_other_query_parameters(server, client):
    # URLs are parsed once and reused: a reused one must not carry an earlier request's query.
    client.get(f"{server.url}/posts?page=1")
    client.get(f"{server.url}/posts", params={"page": 2})
    client.get(f"{server.url}/posts?page=1")
    assert [r["path"] for r in server.requests] == ["/posts?page=1", "/posts?page=2",
                                                    "/posts?page=1"]


def test_refused_connection_is_a_connect_error_not_sent(client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{port}/")
    with pytest.raises(NetworkError) as caught:
        send(client, "POST", f"http://127.0.0.1:{port}/", platform="mastodon", json={})
    assert caught.value.sent is False


def test_silent_platform_is_a_read_timeout_that_may_have_acted(server, client):
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"{server.url}/hang", json={})
    assert time.monotonic() - started < 2.9  # gave up before the platform answered (3 s)
    with pytest.raises(NetworkError) as caught:
        send(client, "POST", f"{server.url}/hang", platform="mastodon", json={})
    assert caught.value.sent is True


def test_connection_cut_after_the_request_may_have_acted(server, client):
    with pytest.raises(httpx.TransportError) as raw:
        client.post(f"{server.url}/cut", json={"status": "x"})
    assert not isinstance(raw.value, httpx.ConnectError)
    with pytest.raises(NetworkError) as caught:
        send(client, "POST", f"{server.url}/cut", platform="mastodon", json={})
    assert caught.value.sent is True


def test_a_post_the_platform_acted_on_before_cutting_a_reused_connection_is_not_sent_again(
        server, client):
    # libcurl retries a request whose kept-alive connection dies before any answer; for a POST
    # the platform cannot recognise as a repeat (no Idempotency-Key) that would post twice.
    client.post(f"{server.url}/a", json={}, headers={"Idempotency-Key": "k-1"})
    client.post(f"{server.url}/a", json={}, headers={"Idempotency-Key": "k-2"})
    assert server.connections == 1  # a POST with a key keeps the connection alive
    with pytest.raises(httpx.TransportError):
        client.post(f"{server.url}/cut", json={"status": "once"})
    assert [r["path"] for r in server.requests].count("/cut") == 1
