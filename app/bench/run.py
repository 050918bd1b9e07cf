"""`openpost bench`: publish a burst (or a steady stream) to the loopback platform and measure."""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.bench import data, measure
from app.bench.fleet import Fleet, Platform, bench_database

CHAOS_FAULTS = {"error_5xx": 0.02, "rate_limit": 0.01, "timeout": 0.005, "cut": 0.01,
                "reset_seconds": 1.0, "hang_seconds": 3.0}
KILL_EVERY = 3.0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(posts: int, workers: int, latency_ms: float, rate: float | None, duration: float,
         chaos: bool, concurrency: int) -> None:
    os.environ.setdefault("OPENPOST_ENCRYPTION_KEYS",
                          base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    lease = 10.0 if chaos else 30.0
    env = {"OPENPOST_ENCRYPTION_KEYS": os.environ["OPENPOST_ENCRYPTION_KEYS"],
           "OPENPOST_LEASE_SECONDS": str(lease), "OPENPOST_TICK_SECONDS": "0.5",
           "OPENPOST_RETRY_BASE_SECONDS": "0.5", "OPENPOST_HTTP_TIMEOUT_SECONDS": "2",
           "OPENPOST_ALLOW_PRIVATE_HOSTS": "1",
           "OPENPOST_LOG_LEVEL": os.environ.get("OPENPOST_LOG_LEVEL", "WARNING")}
    fd, log_path = tempfile.mkstemp(prefix="openpost-bench-", suffix=".log")
    with os.fdopen(fd, "w") as log, bench_database() as url:
        env["DATABASE_URL"] = url
        platform = Platform(latency_ms, log)
        fleet = Fleet(workers, concurrency, env, log)
        engine = sa.create_engine(url)
        try:
            ceiling = measure.platform_ceiling(platform.url)
            say(f"platform ceiling: {ceiling:.0f} statuses/s at {latency_ms:g} ms latency")
            result = _run(engine, platform.url, fleet, posts, rate, duration, chaos, lease,
                          platform.proc.pid)
            result["platform_ceiling_per_s"] = round(ceiling, 1)
        finally:
            fleet.stop()
            platform.stop()
            engine.dispose()
    say(f"worker and platform logs: {log_path}")
    print(json.dumps(result), flush=True)


def _cpu(engine, fleet: Fleet, platform_pid: int) -> dict:
    """CPU spent while publishing (the workers' start-up excluded), by kind of process."""
    now = {"workers": measure.cpu_seconds([p.pid for p in fleet.procs]),
           "platform": measure.cpu_seconds([platform_pid]),
           "postgres": measure.cpu_seconds(measure.backend_pids(engine))}
    return {k: v - fleet.cpu_at_start.get(k, 0.0) for k, v in now.items()}


def _run(engine, base_url, fleet: Fleet, posts: int, rate, duration, chaos, lease,
         platform_pid: int) -> dict:
    with Session(engine) as sess:
        workspace_id = data.make_workspace(sess)
    with Session(engine) as sess:
        channels = [data.make_channel(sess, workspace_id, base_url)
                    for _ in range(max(32, fleet.count * 8))]
    fleet.start()
    fleet.wait_ready(engine)
    fleet.cpu_at_start = {"workers": measure.cpu_seconds([p.pid for p in fleet.procs]),
                          "platform": measure.cpu_seconds([platform_pid]),
                          "postgres": measure.cpu_seconds(measure.backend_pids(engine))}
    if chaos:
        httpx.post(f"{base_url}/_fake/faults", json=CHAOS_FAULTS, timeout=10)
    with Session(engine) as sess:
        now = sess.scalar(sa.select(sa.func.now()))
        if rate:
            count = int(rate * duration)
            times = [now + timedelta(seconds=3 + i / rate) for i in range(count)]
        else:
            count = posts
            times = [now + timedelta(seconds=3 + posts / 5000)] * posts
        data.make_posts(sess, workspace_id, channels, times, prefix="bench")
    say(f"{count} posts scheduled on {len(channels)} channels for {fleet.count} workers")
    started = time.monotonic()
    deadline = started + (duration if rate else 0) + max(60.0, count / 100)
    stop_chaos = threading.Event()
    last_kill = {"at": None}
    if chaos:
        threading.Thread(target=_killer, args=(fleet, stop_chaos, last_kill), daemon=True).start()
    settled_at = _wait_settled(engine, workspace_id, deadline)
    stop_chaos.set()
    if chaos:
        httpx.post(f"{base_url}/_fake/faults", json={}, timeout=10)
    cpu = _cpu(engine, fleet, platform_pid)
    result = {"mode": "steady" if rate else "burst", "workers": fleet.count,
              **measure.figures(engine, base_url, workspace_id)}
    if result["published"]:
        result["cpu_ms_per_post"] = {k: round(v * 1000 / result["published"], 3)
                                     for k, v in cpu.items()}
    if chaos:
        result.update(chaos=True, kills=fleet.kills, lease_s=lease, settled_after_last_kill_s=(
            round(settled_at - last_kill["at"], 1) if settled_at and last_kill["at"] else None))
    return result


def _killer(fleet: Fleet, stop: threading.Event, last_kill: dict) -> None:
    while not stop.wait(KILL_EVERY):
        fleet.kill_one()
        last_kill["at"] = time.monotonic()


def _wait_settled(engine, workspace_id, deadline: float) -> float | None:
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            open_posts = conn.scalar(sa.text(
                "SELECT count(*) FROM posts WHERE workspace_id = :w "
                "AND state IN ('scheduled', 'publishing')"), {"w": workspace_id})
        if not open_posts:
            return time.monotonic()
        time.sleep(0.25)
    return None
