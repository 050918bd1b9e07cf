"""Benchmark figures: the platform's own ceiling, and lateness, losses and duplicates."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa


def platform_ceiling(base_url: str, seconds: float = 2.0, connections: int = 256) -> float:
    """Statuses per second the loopback platform completes with many keep-alive clients
    (a raw asyncio client, far cheaper than the server, so the server is what is measured)."""
    parts = urlsplit(base_url)
    body = json.dumps({"status": "probe"}).encode()
    request = (f"POST /api/v1/statuses HTTP/1.1\r\nHost: {parts.netloc}\r\n"
               "Authorization: Bearer probe\r\nX-Fake-Probe: 1\r\n"
               "Content-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    async def client(stop_at: float) -> int:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        done = 0
        while time.monotonic() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            size = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(size)
            done += 1
        writer.close()
        return done

    async def run() -> float:
        start = time.monotonic()
        counts = await asyncio.gather(*(client(start + seconds) for _ in range(connections)))
        return sum(counts) / (time.monotonic() - start)

    return asyncio.run(run())


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (those already gone count 0)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def backend_pids(engine: sa.Engine) -> list[int]:
    """PostgreSQL server processes serving the benchmark's database (when it runs here)."""
    with engine.connect() as conn:
        return list(conn.scalars(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")))


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def figures(engine: sa.Engine, base_url: str, workspace_id) -> dict:
    """Compare the database's view of every post with what the platform recorded."""
    answer = httpx.get(f"{base_url}/_fake/records", timeout=60).json()
    records = answer["records"]
    first: dict[str, float] = {}
    copies: dict[str, int] = {}
    for text, at, *_ in records:
        copies[text] = copies.get(text, 0) + 1
        first[text] = min(first.get(text, at), at)
    with engine.connect() as conn:
        posts = conn.execute(sa.text(
            "SELECT coalesce(text, parts->0->>'text') AS text, state, "
            "extract(epoch FROM schedule_at)::float8 AS due, error_code FROM posts "
            "WHERE workspace_id = :w"), {"w": workspace_id}).all()
        double_claimed = conn.scalar(sa.text(
            "SELECT count(*) FROM (SELECT post_id FROM post_events WHERE workspace_id = :w "
            "AND from_state = 'scheduled' AND to_state = 'publishing' GROUP BY post_id "
            "HAVING count(*) > 1) AS twice"), {"w": workspace_id})
    states: dict[str, int] = {}
    lateness, early, lost, failed_but_out = [], 0, 0, 0
    for post in posts:
        states[post.state] = states.get(post.state, 0) + 1
        out = post.text in first
        if post.state in ("scheduled", "publishing") or (post.state == "published" and not out):
            lost += 1
        if post.state == "failed" and out:
            failed_but_out += 1
        if out:
            lateness.append((first[post.text] - post.due) * 1000)
            early += first[post.text] < post.due
    published_times = [first[p.text] for p in posts if p.state == "published" and p.text in first]
    first_due = min((p.due for p in posts), default=0.0)
    span = (max(published_times) - first_due) if published_times else 0.0
    return {
        "posts": len(posts), "published": states.get("published", 0),
        "failed": states.get("failed", 0), "lost": lost,
        "duplicates": sum(n - 1 for n in copies.values() if n > 1), "early": early,
        "failed_but_published": failed_but_out, "double_claimed": double_claimed,
        "platform_requests": answer["requests"],
        "throughput_per_s": round(len(published_times) / span, 1) if span > 0 else 0.0,
        "lateness_p50_ms": round(pct(lateness, 0.50), 1),
        "lateness_p90_ms": round(pct(lateness, 0.90), 1),
        "lateness_p99_ms": round(pct(lateness, 0.99), 1),
        "lateness_max_ms": round(max(lateness, default=0.0), 1),
    }
