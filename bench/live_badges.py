"""Live badges benchmark: open tabs of the Posts list polling a real `openpost web` over loopback.

    python -m bench.live_badges [--tabs 10] [--rows 100] [--seconds 20]

Seeds a throwaway workspace (DATABASE_URL, or the embedded server) with `rows` scheduled posts,
starts `openpost web` (its defaults: 2 workers, 4 threads) on a free loopback port, signs in
once and opens `tabs` tabs of the Posts list. Each tab then does what htmx does there: every
element of the page with `hx-trigger="every Ns"` (the header's bell and alarm aside) requests its
`hx-get`/`hx-post` URL every N s with the inputs its `hx-include` names, until answered 286.
Prints one JSON line last: polling requests per second and the CPU the server (gunicorn and its
PostgreSQL backends) spent on them, in % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import re
import time
import uuid
from html.parser import HTMLParser

import httpx

CHROME = ("bell", "ops-alarm")  # page-wide regions, not badges; they poll every 15 s on every page


class Page(HTMLParser):
    """The polling elements of a page, the inputs a class selector may include, the CSRF token."""

    def __init__(self, html: str):
        super().__init__()
        self.polls: list[dict] = []
        self.inputs: list[dict] = []
        self.csrf = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "body" and "hx-headers" in a:
            self.csrf = json.loads(a["hx-headers"]).get("X-CSRFToken", "")
        if tag == "input" and a.get("name"):
            self.inputs.append(a)
        every = re.match(r"every (\d+(?:\.\d+)?)s", a.get("hx-trigger", ""))
        if every and a.get("id") not in CHROME:
            method = "POST" if "hx-post" in a else "GET"
            self.polls.append({"method": method, "url": a.get("hx-post") or a.get("hx-get"),
                               "every": float(every.group(1)),
                               "include": a.get("hx-include", "")})

    def values(self, selector: str) -> dict[str, list[str]]:
        """The named inputs a `.class` selector includes (the only kind the pages use)."""
        found: dict[str, list[str]] = {}
        for i in self.inputs:
            if selector.startswith(".") and selector[1:] in i.get("class", "").split():
                found.setdefault(i["name"], []).append(i.get("value", ""))
        return found


def seed(rows: int) -> tuple[str, str]:
    """A throwaway workspace with one channel and `rows` scheduled posts; (its name, the
    password of its owner, signed in as `<name>@bench.invalid`)."""
    from app import db
    from app.posts import service as posts
    from bench.web import bench_workspace

    name, password = f"bench-live-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    ws, channel = bench_workspace(name, password)
    for i in range(rows):
        posts.create_post(db.session, ws, "bench", channel_id=channel.id,
                          text=f"scheduled post {i}", schedule_at="2099-01-01T00:00:00Z")
    db.session.commit()
    return name, password


async def poll(client: httpx.AsyncClient, spec: dict, data: dict, csrf: str, stop_at: float,
               samples: list) -> None:
    loop = asyncio.get_running_loop()
    due = loop.time() + random.uniform(0, spec["every"])  # tabs were not all opened at once
    headers = {"HX-Request": "true", "X-CSRFToken": csrf}
    while due < stop_at:
        await asyncio.sleep(max(0.0, due - loop.time()))
        started = time.perf_counter()
        status = await _send(client, spec, data, headers)
        samples.append((loop.time(), time.perf_counter() - started, status))
        if status == 286:
            return
        due += spec["every"]


async def _send(client: httpx.AsyncClient, spec: dict, data: dict, headers: dict) -> int:
    """The answer's status, 0 for a transport error. A keep-alive connection the server closed
    just then (gunicorn's keep-alive is 2 s, the poll's period too) is retried once on a new
    one, as browsers do."""
    for attempt in (1, 2):
        try:
            answer = await client.request(spec["method"], spec["url"], headers=headers,
                                          data=data if spec["method"] == "POST" else None)
            return answer.status_code
        except (httpx.ReadError, httpx.RemoteProtocolError):
            if attempt == 2:
                return 0
        except httpx.HTTPError:
            return 0
    return 0


async def drive(base: str, email: str, password: str, tabs: int, warmup: float, seconds: float) -> tuple:
    async with httpx.AsyncClient(base_url=base, timeout=30) as signin:
        form = Page((await signin.get("/login")).text)
        token = next(i["value"] for i in form.inputs if i["name"] == "csrf_token")
        await signin.post("/login", data={"email": email, "password": password,
                                          "csrf_token": token})
        cookies = signin.cookies
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + warmup + seconds
    samples: list = []
    jobs, polls = [], 0
    for _ in range(tabs):  # a browser: six connections to the host per tab at most
        tab = httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30,
                                limits=httpx.Limits(max_connections=6))
        page = Page((await tab.get("/")).text)
        polls += len(page.polls)
        jobs += [poll(tab, spec, page.values(spec["include"]), page.csrf, stop_at, samples)
                 for spec in page.polls]
    return jobs, polls, samples, loop.time() + warmup


def main() -> None:
    from app.cli import _prepared_url
    from bench.web import _cleanup, _free_port, _start_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, default=10)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    _prepared_url()
    name, password = seed(args.rows)
    port = _free_port()
    server = _start_server(port, 2, 4)
    try:
        result = asyncio.run(_measure(f"http://127.0.0.1:{port}", f"{name}@bench.invalid",
                                      password, args, server))
    finally:
        server.terminate()
        server.wait(timeout=30)
        _cleanup(name)
    print(json.dumps(result), flush=True)


async def _measure(base: str, email: str, password: str, args, server) -> dict:
    from bench.web import _cpu_seconds, _server_pids

    jobs, polls, samples, measure_from = await drive(base, email, password, args.tabs,
                                                     args.warmup, args.seconds)
    runner = asyncio.gather(*jobs)
    await asyncio.sleep(max(0.0, measure_from - asyncio.get_running_loop().time()))
    web, database = _server_pids(server)
    before, started = (_cpu_seconds(web), _cpu_seconds(database)), time.monotonic()
    await runner
    elapsed = time.monotonic() - started
    web_s, db_s = (a - b for a, b in zip((_cpu_seconds(web), _cpu_seconds(database)), before,
                                         strict=True))
    counted = [s for s in samples if s[0] >= measure_from]
    latencies = sorted(s[1] for s in counted) or [0.0]
    statuses: dict[str, int] = {}
    for s in counted:
        statuses[str(s[2])] = statuses.get(str(s[2]), 0) + 1
    return {"bench": "live_badges", "tabs": args.tabs, "rows": args.rows,
            "poll_elements": polls, "seconds": round(elapsed, 1),
            "requests_per_s": round(len(counted) / elapsed, 1), "statuses": statuses,
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
            "server_cpu_pct_of_core": round((web_s + db_s) * 100 / elapsed, 1),
            "gunicorn_cpu_pct": round(web_s * 100 / elapsed, 1),
            "database_cpu_pct": round(db_s * 100 / elapsed, 1),
            "load_average_1m": round(os.getloadavg()[0], 2)}


if __name__ == "__main__":
    main()
