"""The publishers' HTTP transport: httpx's API over libcurl (pycurl).

httpx's default transport parses HTTP in Python, which costs more CPU per request than the rest
of a publish attempt together; libcurl does the connection handling, TLS and HTTP parsing in C.
Publishers still see only an `httpx.Client`: redirects, cookies, content decoding and the
exception types stay httpx's. Each thread keeps its own curl handle, whose connection cache
gives keep-alive; a connection found dead on reuse is retried by libcurl on a fresh one. That
retry re-sends the request even when the platform acted on it and then dropped the connection
without an answer, so a POST without an `Idempotency-Key` (the platform could not tell the
repeat) goes on a fresh connection, which libcurl never retries: its failure reaches the
publisher as "maybe sent", and the post is reconciled or fails as outcome_unknown, never
posted twice.
Requests to user-chosen hosts (marked by app/platforms/curl_guard.py) go through a second
handle whose every connection is vetted, so they never share a connection with the others.
"""

from __future__ import annotations

import math
import threading

import certifi
import httpx
import pycurl

from app import net
from app.platforms.curl_guard import CurlGuard

# Headers libcurl would otherwise add on its own when the request has none ("Name:" removes).
_DEFAULTS = {b"expect": "Expect:", b"accept": "Accept:", b"content-type": "Content-Type:"}
# Headers libcurl computes itself from the body it sends.
_SKIPPED = {b"content-length", b"transfer-encoding"}
_NOT_SENT = {pycurl.E_COULDNT_RESOLVE_HOST, pycurl.E_COULDNT_CONNECT,
             pycurl.E_COULDNT_RESOLVE_PROXY, pycurl.E_SSL_CONNECT_ERROR,
             pycurl.E_PEER_FAILED_VERIFICATION, pycurl.E_SSL_CACERT_BADFILE,
             pycurl.E_SSL_CERTPROBLEM, pycurl.E_SSL_CIPHER}


class CurlTransport(httpx.BaseTransport):
    def __init__(self, verify: bool = True) -> None:
        self.verify = verify
        self._local = threading.local()

    def _curl(self, guarded: bool = False) -> pycurl.Curl:
        name = "guarded" if guarded else "curl"
        curl = getattr(self._local, name, None)
        if curl is None:
            curl = pycurl.Curl()
            setattr(self._local, name, curl)
        else:
            curl.reset()  # options only: live connections and the DNS cache stay
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.TCP_NODELAY, 1)
        curl.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_1_1)
        curl.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
        if self.verify:
            curl.setopt(pycurl.CAINFO, certifi.where())
        else:
            curl.setopt(pycurl.SSL_VERIFYPEER, 0)
            curl.setopt(pycurl.SSL_VERIFYHOST, 0)
        return curl

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        guard = CurlGuard.for_request(request)
        curl = self._curl(guarded=guard is not None)
        if guard is not None:
            guard.apply(curl)
        body = request.read()
        curl.setopt(pycurl.URL, str(request.url))
        method = request.method
        if method == "GET" and not body:
            curl.setopt(pycurl.HTTPGET, 1)
        elif method == "HEAD":
            curl.setopt(pycurl.NOBODY, 1)
        else:
            curl.setopt(pycurl.CUSTOMREQUEST, method)
            if body or method in ("POST", "PUT", "PATCH"):
                curl.setopt(pycurl.POSTFIELDS, body)
        names = {k.lower() for k, _v in request.headers.raw}
        if method == "POST" and b"idempotency-key" not in names:
            curl.setopt(pycurl.FRESH_CONNECT, 1)
        curl.setopt(pycurl.HTTPHEADER, [
            *(line for name, line in _DEFAULTS.items() if name not in names),
            *(f"{k.decode('latin-1')}: {v.decode('latin-1')}"
              for k, v in request.headers.raw if k.lower() not in _SKIPPED)])
        _set_timeouts(curl, request.extensions.get("timeout") or {}, len(body))
        lines: list[bytes] = []
        chunks: list[bytes] = []
        curl.setopt(pycurl.HEADERFUNCTION, lines.append)
        curl.setopt(pycurl.WRITEFUNCTION, chunks.append)
        try:
            curl.perform()
        except pycurl.error as exc:
            if guard is not None and guard.refused:
                raise net.UnsafeDestination(guard.refused) from None
            raise _transport_error(curl, exc, request, len(body)) from None
        status, reason, headers = _head(lines)
        return httpx.Response(curl.getinfo(pycurl.RESPONSE_CODE) or status, headers=headers,
                              stream=httpx.ByteStream(b"".join(chunks)),
                              extensions={"http_version": b"HTTP/1.1",
                                          "reason_phrase": reason})

    def close(self) -> None:
        for name in ("curl", "guarded"):
            curl = getattr(self._local, name, None)
            if curl is not None:
                curl.close()
                setattr(self._local, name, None)


def _set_timeouts(curl: pycurl.Curl, timeout: dict, size: int) -> None:
    connect, read, write = timeout.get("connect"), timeout.get("read"), timeout.get("write")
    if connect:
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, max(1, int(connect * 1000)))
    if read:
        # httpx's read timeout bounds a silence between reads. libcurl has no such timer: a
        # small exchange (every API call) gets connect + read as its total bound, a large upload
        # the low-speed limit (under a byte a second, averaged by libcurl over a few seconds).
        curl.setopt(pycurl.LOW_SPEED_LIMIT, 1)
        curl.setopt(pycurl.LOW_SPEED_TIME, max(1, math.ceil(max(read, write or 0))))
        if size < 1 << 20:
            curl.setopt(pycurl.TIMEOUT_MS, int(((connect or 0) + read) * 1000))


def _head(lines: list[bytes]) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """The final response's status, reason and headers (after any 1xx or proxy responses)."""
    status, reason, headers = 0, b"", []
    for line in lines:
        if line.startswith(b"HTTP/"):
            parts = line.rstrip(b"\r\n").split(b" ", 2)
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            reason, headers = (parts[2] if len(parts) > 2 else b""), []
        elif b":" in line:
            name, value = line.split(b":", 1)
            headers.append((name.strip(), value.strip()))
    return status, reason, headers


def _transport_error(curl: pycurl.Curl, exc: pycurl.error, request: httpx.Request,
                     size: int) -> httpx.TransportError:
    """The httpx exception that says the same: not sent (connect) or maybe acted on."""
    code, message = exc.args[0], exc.args[1] if len(exc.args) > 1 else str(exc)
    connected = curl.getinfo(pycurl.CONNECT_TIME) > 0
    if code == pycurl.E_OPERATION_TIMEDOUT:
        if not connected:
            return httpx.ConnectTimeout(message, request=request)
        if curl.getinfo(pycurl.SIZE_UPLOAD_T) < size:
            return httpx.WriteTimeout(message, request=request)
        return httpx.ReadTimeout(message, request=request)
    if code in _NOT_SENT or (code == pycurl.E_SEND_ERROR and not connected):
        return httpx.ConnectError(message, request=request)
    if code == pycurl.E_UNSUPPORTED_PROTOCOL:
        return httpx.UnsupportedProtocol(message, request=request)
    if code == pycurl.E_SEND_ERROR:
        return httpx.WriteError(message, request=request)
    if code == pycurl.E_RECV_ERROR:
        return httpx.ReadError(message, request=request)
    return httpx.RemoteProtocolError(message, request=request)
