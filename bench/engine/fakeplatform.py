"""A small, fast loopback platform speaking Mastodon's statuses API (docs/architecture.md, Channels).

`POST /api/v1/statuses` honours `Idempotency-Key` (a repeat returns the status already made),
answers Mastodon's error bodies (401 revoked token, 422 validation, 429 with
`X-RateLimit-Reset`), and `POST /oauth/token` runs an RFC 6749 refresh grant that rotates the
refresh token. Every created status is recorded, and every create request counted per
Idempotency-Key, so duplicates can be counted even where the key hides them. Faults (5xx, 429,
timeouts, connections cut after the status was made) are injected at random or by script, and
while `paused` the platform still acts but answers no create request (one slower than any
grace period). `faults["status_url"]` replaces the `url` of new statuses (a hostile platform's
link).
Control: `GET /_fake/records`, `POST /_fake/faults`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import secrets
import threading
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

FAULTS = ("error_5xx", "rate_limit", "timeout", "cut")


class FakePlatform:
    def __init__(self, latency_ms: float = 0, faults: dict | None = None):
        self.latency = latency_ms / 1000
        self.faults = dict(faults or {})
        self.script: deque[str] = deque()      # forced answers for the next requests
        self.records: list[tuple] = []          # (text, time, status id, idempotency key, token)
        self.requests = 0                       # create requests received, repeats included
        self.calls: dict[str, int] = {}         # create requests per access token
        self.keys: Counter[str] = Counter()     # create requests per Idempotency-Key
        self.active: Counter[str] = Counter()   # ... of them not answered yet
        self.paused = False                     # withhold every answer to a create while set
        self.statuses: dict[str, dict] = {}
        self.by_key: dict[str, dict] = {}
        self.refresh_tokens: dict[str, str] = {}   # valid refresh token -> its account
        self.revoked: set[str] = set()
        self.limited: dict[str, datetime] = {}  # token -> when its rate limit resets
        self.on_create = None                   # test hook: called with each new status
        self.ids = itertools.count(110_000_000_000_000_001)
        self.base_url = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server = None

    # -- running ---------------------------------------------------------------------------

    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = await asyncio.start_server(self._connection, host, port, backlog=1024)
        sock_port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://{host}:{sock_port}"
        return self.base_url

    def start_in_thread(self) -> str:
        ready = threading.Event()

        def run():
            self.loop = asyncio.new_event_loop()
            self.loop.run_until_complete(self.serve())
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True, name="fake-platform").start()
        ready.wait(10)
        return self.base_url

    def stop(self) -> None:
        if self.loop is None:
            return

        async def shutdown():
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop)

    def created_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for text, *_rest in list(self.records):
            counts[text] = counts.get(text, 0) + 1
        return counts

    # -- HTTP ------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in
                           (line.split(":", 1) for line in lines[1:] if ":" in line)}
                size = int(headers.get("content-length") or 0)
                body = await reader.readexactly(size) if size else b""
                answer = await self._handle(method, target, headers, body)
                if answer is None:  # the connection is cut after the platform acted
                    writer.transport.abort()
                    return
                status, extra, payload = answer
                data = json.dumps(payload).encode()
                head_out = [f"HTTP/1.1 {status} X", "Content-Type: application/json",
                            f"Content-Length: {len(data)}"]
                head_out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(head_out) + "\r\n\r\n").encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError,
                ValueError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, method: str, target: str, headers: dict, body: bytes):
        path = target.split("?", 1)[0]
        if path == "/_fake/records" and method == "GET":
            return 200, {}, {"records": self.records, "requests": self.requests}
        if path == "/_fake/faults" and method == "POST":
            self.faults = json.loads(body or b"{}")
            return 200, {}, self.faults
        if path == "/oauth/token" and method == "POST":
            return self._token(body)
        if path == "/api/v1/statuses" and method == "POST":
            return await self._create(headers, body)
        if path.startswith("/api/v1/statuses/") and method == "GET":
            status = self.statuses.get(path.rsplit("/", 1)[1])
            return (200, {}, status) if status else (404, {}, {"error": "Record not found"})
        return 404, {}, {"error": "Not Found"}

    def _fault(self) -> str:
        if self.script:
            return self.script.popleft()
        roll = random.random()
        for name in FAULTS:
            roll -= self.faults.get(name, 0)
            if roll < 0:
                return name
        return "ok"

    def in_flight(self) -> list[str]:
        """Idempotency-Keys of the create requests the platform has not answered yet."""
        return [key for key, n in list(self.active.items()) if n]

    async def _create(self, headers: dict, body: bytes):
        if headers.get("x-fake-probe"):
            return await self._answer(headers, body)
        key = headers.get("idempotency-key") or ""
        self.requests += 1
        self.keys[key] += 1
        self.active[key] += 1
        try:
            answer = await self._answer(headers, body)
            while self.paused:
                await asyncio.sleep(0.01)
            return answer
        finally:
            self.active[key] -= 1
            if not self.active[key]:
                del self.active[key]

    async def _answer(self, headers: dict, body: bytes):
        fault = self._fault()
        if fault.startswith("hold:"):
            await asyncio.sleep(float(fault[5:]))
        await asyncio.sleep(self.latency)
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        self.calls[token] = self.calls.get(token, 0) + 1
        if not token:
            return 401, {}, {"error": "The access token is invalid"}
        if token in self.revoked or fault == "401":
            return 401, {}, {"error": "The access token was revoked"}
        if fault in ("error_5xx", "503", "500"):
            code = 500 if fault == "500" else 503
            return code, {}, {"error": "Service Unavailable" if code == 503 else "Internal error"}
        if token in self.limited and self.limited[token] > datetime.now(UTC):
            fault, reset = "429", self.limited[token]
        else:
            reset = datetime.now(UTC) + timedelta(seconds=self.faults.get("reset_seconds", 1.0))
        if fault in ("rate_limit", "429"):
            return 429, {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                         "X-RateLimit-Reset": reset.isoformat()}, {"error": "Too many requests"}
        fields = json.loads(body or b"{}")
        text = fields.get("status") or ""
        if fault == "422" or not text.strip():
            return 422, {}, {"error": "Validation failed: Text can't be blank"}
        if len(text) > 500:
            return 422, {}, {"error": "Validation failed: Text character limit of 500 exceeded"}
        reply_to = fields.get("in_reply_to_id")
        if reply_to and reply_to not in self.statuses:
            return 404, {}, {"error": "Record not found"}
        status = self._status(headers.get("idempotency-key"), token, text, reply_to,
                              probe=bool(headers.get("x-fake-probe")))
        if fault == "timeout":
            await asyncio.sleep(self.faults.get("hang_seconds", 5.0))
        if fault == "cut":
            return None
        return 200, {}, status

    def _status(self, key: str | None, token: str, text: str, reply_to, probe: bool) -> dict:
        if key and key in self.by_key:
            return self.by_key[key]
        sid = str(next(self.ids))
        status = {"id": sid, "url": self.faults.get("status_url") or f"{self.base_url}/@bench/{sid}",
                  "uri": f"{self.base_url}/users/bench/statuses/{sid}",
                  "created_at": datetime.now(UTC).isoformat(), "content": f"<p>{text}</p>",
                  "in_reply_to_id": reply_to, "visibility": "public"}
        if probe:
            return status
        self.statuses[sid] = status
        if key:
            self.by_key[key] = status
        self.records.append((text, time.time(), sid, key, token))
        if self.on_create is not None:
            self.on_create(status, token)
        return status

    def _token(self, body: bytes):
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        old = form.get("refresh_token", "")
        if form.get("grant_type") != "refresh_token" or old not in self.refresh_tokens:
            return 400, {}, {"error": "invalid_grant",
                             "error_description": "The provided authorization grant is invalid, "
                             "expired, revoked, does not match the redirection URI used in the "
                             "authorization request, or was issued to another client."}
        account = self.refresh_tokens.pop(old)  # rotation: the old refresh token is spent
        new_refresh = "r-" + secrets.token_hex(8)
        self.refresh_tokens[new_refresh] = account
        return 200, {}, {"access_token": "a-" + secrets.token_hex(8), "token_type": "Bearer",
                         "expires_in": 7200, "refresh_token": new_refresh, "scope": "write"}


def main(port: int, latency_ms: float) -> None:
    """Serve until killed, printing the base URL on the first line."""
    platform = FakePlatform(latency_ms)

    async def run():
        url = await platform.serve(port=port)
        print(url, flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())
