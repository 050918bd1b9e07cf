"""`openpost bench web`: GET /api/v1/posts and the login page against gunicorn over loopback."""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]  # where `app` is found: the checkout, or site-packages
LOGIN_EVERY = 10  # one request in ten is the login page, the rest list posts
WARMUP_EACH = 20  # requests each connection makes before the measured run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_workspace(name: str, password: str):
    """A throwaway workspace `name` (its owner `<name>@bench.invalid`) with one Mastodon
    channel, ready for posts; (workspace id, channel). `_cleanup(name)` erases it."""
    from app import create_app, db
    from app.auth import service as auth
    from app.channels import service as channels

    create_app()
    user = auth.create_user(db.session, f"{name}@bench.invalid", password, name)
    ws = user.memberships[0].workspace_id
    channel = channels.connect(db.session, ws, "bench", platform="mastodon", handle="@bench",
                               credentials={"access_token": uuid.uuid4().hex},
                               settings={"instance_url": "https://mastodon.invalid"})
    return ws, channel


def _seed(posts: int) -> tuple[str, str]:
    """A throwaway workspace with a channel, `posts` posts and an API key; (name, key)."""
    from app import db
    from app.auth import service as auth
    from app.posts import service as post_service

    name = f"bench-web-{uuid.uuid4().hex[:8]}"
    ws, channel = bench_workspace(name, uuid.uuid4().hex)
    for i in range(posts):
        post_service.create_post(db.session, ws, "bench", channel_id=channel.id,
                                 text=f"benchmark post {i} " + "lorem ipsum " * 10,
                                 schedule_at="2099-01-01T00:00:00Z" if i % 2 else None)
    _key, token = auth.create_api_key(db.session, ws, "bench", name="bench-web")
    return name, token


def _cleanup(name: str) -> None:
    import sqlalchemy as sa

    from app import db

    db.session.execute(sa.text("DELETE FROM workspaces WHERE name = :n"), {"n": name})
    db.session.execute(sa.text("DELETE FROM users WHERE email = :e"),
                       {"e": f"{name}@bench.invalid"})
    db.session.commit()


def _start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(os.environ, OPENPOST_API_RATE="100000000/60", OPENPOST_LOG_LEVEL="WARNING")
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        [sys.executable, "-m", "app.cli", "web", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--threads", str(threads), "--no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise click.ClickException("the web server did not come up within 60 s")


def _cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU the processes have used (Linux /proc), or None where unavailable."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick if pids and Path("/proc").is_dir() else None


def _server_pids(server: subprocess.Popen) -> tuple[list[int], list[int]]:
    """(the gunicorn master and its workers, the PostgreSQL backends serving this database)."""
    import sqlalchemy as sa

    from app import db

    web = [server.pid]
    with contextlib.suppress(OSError):
        web += [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children")
                .read_text().split()]
    database = list(db.session.scalars(sa.text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()")))
    db.session.rollback()
    return web, database


def _drive(args) -> tuple[list[tuple[str, float, bool]], float]:
    """One client process: `threads` keep-alive connections until the deadline, each making at
    least `at_least` requests; (samples, the CPU seconds this client used)."""
    port, token, deadline, threads, at_least = args
    cpu = time.process_time()

    def connection_loop(index: int) -> list[tuple[str, float, bool]]:
        conn, out, n = http.client.HTTPConnection("127.0.0.1", port, timeout=10), [], index
        while time.time() < deadline or len(out) < at_least:
            n += 1
            login = n % LOGIN_EVERY == 0
            path, headers = ("/login", {}) if login else (
                "/api/v1/posts", {"Authorization": f"Bearer {token}"})
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                answer = conn.getresponse()
                answer.read()
                ok = answer.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            out.append(("login" if login else "api", time.perf_counter() - start, ok))
        return out

    with ThreadPoolExecutor(threads) as pool:
        samples = [r for part in pool.map(connection_loop, range(threads)) for r in part]
    return samples, time.process_time() - cpu


def _figures(samples: list[tuple[str, float, bool]], seconds: float) -> dict:
    latencies = sorted(s[1] for s in samples)

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) \
            if latencies else 0.0

    return {"requests": len(samples), "errors": sum(1 for s in samples if not s[2]),
            "rps": round(len(samples) / seconds, 1), "p50_ms": pct(0.50), "p99_ms": pct(0.99)}


def _cpu_ms_each(seconds: float | None, requests: int) -> float | None:
    return round(seconds * 1000 / max(requests, 1), 2) if seconds is not None else None


def main(*, seconds: float, clients: int, workers: int | None, threads: int, posts: int) -> None:
    from app.cli import _prepared_url

    _prepared_url()
    workers = workers or 2 * (os.cpu_count() or 1)
    name, token = _seed(posts)
    port = _free_port()
    server = _start_server(port, workers, threads)
    try:
        procs = min(clients, max(1, (os.cpu_count() or 1)))
        per = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
        warmup = time.time() + 1.0
        with multiprocessing.get_context("spawn").Pool(procs) as pool:
            # Every connection served a few times first: workers have made their first
            # requests (slow ones) and opened their database connections before counting.
            pool.map(_drive, [(port, token, warmup, n, WARMUP_EACH) for n in per])
            web, database = _server_pids(server)
            before, started = (_cpu_seconds(web), _cpu_seconds(database)), time.time()
            parts = pool.map(_drive, [(port, token, started + seconds, n, 0) for n in per])
        elapsed, after = time.time() - started, (_cpu_seconds(web), _cpu_seconds(database))
    finally:
        server.terminate()
        server.wait(timeout=30)
        _cleanup(name)
    samples = [s for part, _cpu in parts for s in part]
    web_s, db_s = ((a - b) if a is not None and b is not None else None
                   for a, b in zip(after, before, strict=True))
    report = {"bench": "web", "seconds": round(elapsed, 2), "clients": clients,
              "gunicorn_workers": workers, "threads": threads, "posts_listed": min(posts, 50),
              **_figures(samples, elapsed),
              # CPU per request of gunicorn plus its database backends, and of the load generator
              # that shares the machine: on a busy machine the request rate says little, these
              # say what each side costs.
              "server_cpu_ms_per_request": _cpu_ms_each(
                  web_s + db_s if web_s is not None and db_s is not None else None, len(samples)),
              "gunicorn_cpu_ms_per_request": _cpu_ms_each(web_s, len(samples)),
              "database_cpu_ms_per_request": _cpu_ms_each(db_s, len(samples)),
              "client_cpu_ms_per_request": _cpu_ms_each(sum(cpu for _p, cpu in parts),
                                                        len(samples)),
              "load_average_1m": round(os.getloadavg()[0], 2),
              "api_posts": _figures([s for s in samples if s[0] == "api"], elapsed),
              "login_page": _figures([s for s in samples if s[0] == "login"], elapsed)}
    click.echo(f"GET /api/v1/posts: {report['api_posts']}")
    click.echo(f"GET /login: {report['login_page']}")
    click.echo(json.dumps(report))
