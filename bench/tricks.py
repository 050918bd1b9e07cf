"""The speed tricks of docs/performance.md, each timed against the plain way in one process.

    python -m bench.tricks [--runs 2000]

No database: each case runs its trick and its plain counterpart alternately, in rounds, and
reports the median cost of one call of each in microseconds. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUNDS = 5


def _per_call_us(fn: Callable[[], object], runs: int) -> float:
    started = time.perf_counter()
    for _ in range(runs):
        fn()
    return (time.perf_counter() - started) / runs * 1e6


def compare(trick: Callable[[], object], plain: Callable[[], object], runs: int) -> dict:
    """Median µs per call of each, over alternating rounds (a busy machine slows both alike)."""
    tricks, plains = [], []
    for _ in range(ROUNDS):
        tricks.append(_per_call_us(trick, runs))
        plains.append(_per_call_us(plain, runs))
    trick_us, plain_us = statistics.median(tricks), statistics.median(plains)
    return {"trick_us": round(trick_us, 2), "plain_us": round(plain_us, 2),
            "speedup": round(plain_us / trick_us, 2) if trick_us else None}


def list_statement(runs: int) -> dict:
    """app/posts/reads.py: the post list's select taken from the cache, against building it
    (and compiling it, as SQLAlchemy must to look it up in its own cache) on every request."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    from app.posts import reads
    from app.posts.serialize import SUMMARY_COLUMNS

    build = reads._page.__wrapped__
    args = (SUMMARY_COLUMNS, True, False, False, False, True)
    dialect = postgresql.dialect()
    cached = reads._page(*args)
    key = cached._generate_cache_key()

    def plain() -> object:
        return build(*args)._generate_cache_key()

    assert isinstance(cached, sa.Select) and key is not None
    return compare(lambda: reads._page(*args), plain, runs) | {
        "compile_us": round(_per_call_us(lambda: build(*args).compile(dialect=dialect), 50), 1)}


def credentials(runs: int) -> dict:
    """jobs/claims.py `_plain`: a channel's credentials from the cache of decrypted ones,
    against decrypting (AES-256-GCM) and parsing them for every claimed post."""
    os.environ.setdefault("OPENPOST_ENCRYPTION_KEYS",
                          base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    from app import crypto
    from app.channels.models import credentials_aad

    workspace, channel = uuid.uuid4(), uuid.uuid4()
    aad = credentials_aad(workspace, channel)
    blob = crypto.encrypt(json.dumps({"access_token": secrets.token_urlsafe(40),
                                      "refresh_token": secrets.token_urlsafe(40),
                                      "expires_at": datetime.now(UTC).timestamp()}).encode(), aad)
    cache = {(channel, blob): json.loads(crypto.decrypt(blob, aad))}
    return compare(lambda: dict(cache[(channel, blob)]),
                   lambda: json.loads(crypto.decrypt(blob, aad)), runs)


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the platforms' APIs
    wbufsize = -1  # the answer leaves in one write (no delayed-ACK wait between its pieces)
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"id": "110000000000000001", "url": "https://m.example/@a/1"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "session=abc; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def http_clients(runs: int) -> dict:
    """app/platforms/http.py and transport.py: one publish-sized POST over loopback keep-alive
    through the publishers' client (libcurl, no cookie jar), through a plain httpx.Client, and
    through the publishers' client on httpx's own transport (the cookie jar's share alone)."""
    import httpx

    from app.platforms.http import PublisherClient, make_client

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/statuses"
    payload = {"status": "Hello from the benchmark", "visibility": "public"}
    headers = {"Authorization": "Bearer x"}
    ours, plain, jarless = make_client(), httpx.Client(), PublisherClient()
    try:
        figures = compare(lambda: ours.post(url, json=payload, headers=headers),
                          lambda: plain.post(url, json=payload, headers=headers), runs)
        figures["no_cookie_jar_on_httpx_transport_us"] = compare(
            lambda: jarless.post(url, json=payload, headers=headers),
            lambda: plain.post(url, json=payload, headers=headers), runs)["trick_us"]
        return figures
    finally:
        for client in (ours, plain, jarless):
            client.close()
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="calls per round (HTTP: a tenth)")
    runs = parser.parse_args().runs
    print(json.dumps({"list_statement": list_statement(runs), "credentials": credentials(runs),
                      "http_post": http_clients(max(runs // 10, 20))}))


if __name__ == "__main__":
    main()
