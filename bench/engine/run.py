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

from app import config
from bench.engine import data, measure
from bench.engine.fleet import Fleet, Platform, bench_database
from jobs.config import EngineConfig

CHAOS_FAULTS = {"error_5xx": 0.02, "rate_limit": 0.01, "timeout": 0.005, "cut": 0.01,
                "reset_seconds": 1.0, "hang_seconds": 3.0}
KILL_EVERY = 3.0   # chaos: a SIGKILL this often ...
KILL_FOR = 30.0    # ... for this long (or until every post is settled)
RESTART_AT = 0.25  # chaos: PostgreSQL restarts once this share of the posts is published


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(posts: int, workers: int, latency_ms: float, rate: float | None, duration: float,
         chaos: bool, rolling_restart: bool, concurrency: int,
         no_idempotency: bool = False) -> None:
    os.environ.setdefault("OPENPOST_ENCRYPTION_KEYS",
                          base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    # The engine runs with the production defaults (lease, tick, retry base, dead-worker
    # detection) or what OPENPOST_* says; only the HTTP timeout is short, so the platform's
    # injected 3 s hangs end as timeouts.
    current = config.settings()
    env = {"OPENPOST_ENCRYPTION_KEYS": current.encryption_keys,
           "OPENPOST_HTTP_TIMEOUT_SECONDS": "2", "OPENPOST_ALLOW_PRIVATE_HOSTS": "1",
           "OPENPOST_LOG_LEVEL": current.environ.get("OPENPOST_LOG_LEVEL") or "WARNING"}
    settings = EngineConfig.from_env()
    fd, log_path = tempfile.mkstemp(prefix="openpost-bench-", suffix=".log")
    with os.fdopen(fd, "w") as log, bench_database(restartable=chaos) as (url, restart):
        env["DATABASE_URL"] = url
        platform = Platform(latency_ms, log)
        fleet = Fleet(workers, concurrency, env, log,
                      args=("--no-idempotency",) if no_idempotency else ())
        engine = sa.create_engine(url, pool_pre_ping=True)
        try:
            ceiling = measure.platform_ceiling(platform.url)
            say(f"platform ceiling: {ceiling:.0f} statuses/s at {latency_ms:g} ms latency")
            result = _run(engine, platform.url, fleet, posts, rate, duration, chaos, restart,
                          platform.proc.pid, rolling_restart)
            result["platform_ceiling_per_s"] = round(ceiling, 1)
            result["engine"] = {"lease_s": settings.lease_seconds,
                                "tick_s": settings.tick_seconds,
                                "retry_base_s": settings.retry_base_seconds,
                                "dead_after_s": settings.dead_after}
            if no_idempotency:
                result["idempotency_keys"] = False
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


def _run(engine, base_url, fleet: Fleet, posts: int, rate, duration, chaos, restart,
         platform_pid: int, rolling: bool) -> dict:
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
    stop, last = threading.Event(), {"at": None}  # when a worker was last killed or restarted
    restarts: list[float] = []
    plans = [(_killer, (fleet, engine, stop, last, started + KILL_FOR))] if chaos else []
    plans += [(_pg_restarter, (engine, workspace_id, count, restart, stop, restarts))
              ] if chaos and restart else []
    plans += [(_roller, (fleet, engine, workspace_id, stop, last))] if rolling else []
    reclaims: dict[int, float] = {}
    plans += [(_watch_reclaims, (fleet, engine, stop, reclaims))] if chaos else []
    disrupting = [threading.Thread(target=t, args=a, daemon=True) for t, a in plans]
    for thread in disrupting:
        thread.start()
    settled_at = _wait_settled(engine, workspace_id, deadline)
    stop.set()
    for thread in disrupting:  # a replacement started after the fleet stopped would linger
        thread.join(180)
    if chaos:
        httpx.post(f"{base_url}/_fake/faults", json={}, timeout=10)
    cpu = _cpu(engine, fleet, platform_pid)
    result = {"mode": "steady" if rate else "burst", "workers": fleet.count,
              **measure.figures(engine, base_url, workspace_id)}
    if result["published"] and not (chaos or rolling):
        # Replaced processes take their CPU time with them: only a run without kills or
        # restarts can say what a post costs.
        result["cpu_ms_per_post"] = {k: round(v * 1000 / result["published"], 3)
                                     for k, v in cpu.items()}
    after_last = round(settled_at - last["at"], 1) if settled_at and last["at"] else None
    if chaos:
        result.update(chaos=True, kills=fleet.kills, postgres_restarts=len(restarts),
                      settled_after_last_kill_s=after_last,
                      **_reclaim_figures(fleet, reclaims))
    if rolling:
        result.update(rolling_restart=True, restarts=fleet.restarts,
                      settled_after_last_restart_s=after_last)
    return result


def _killer(fleet: Fleet, engine, stop: threading.Event, last: dict, until: float) -> None:
    while not stop.wait(KILL_EVERY) and time.monotonic() <= until:
        fleet.kill_one(engine)
        last["at"] = time.monotonic()


def _pg_restarter(engine, workspace_id, count: int, restart, stop: threading.Event,
                  restarts: list) -> None:
    """Restart PostgreSQL once, mid-burst: when a share of the posts is out."""
    while not stop.wait(0.1):
        try:
            if _published(engine, workspace_id) >= RESTART_AT * count:
                break
        except sa.exc.DBAPIError:
            continue
    if stop.is_set():
        return
    say("restarting PostgreSQL")
    restart()
    restarts.append(time.monotonic())


def _watch_reclaims(fleet: Fleet, engine, stop: threading.Event, reclaims: dict) -> None:
    """For each SIGKILL, the time until no post is still claimed by the dead worker (another
    worker took each over, or it was settled). A kill while PostgreSQL restarts is identified
    once it is back (the dead worker's posts wait for it longer than that)."""
    while not stop.wait(0.1):
        for index, kill in enumerate(list(fleet.killed)):
            if index in reclaims:
                continue
            fleet.identify(engine, kill)
            if not kill["held"]:
                continue
            try:
                with engine.connect() as conn:
                    left = conn.scalar(sa.text(
                        "SELECT count(*) FROM posts WHERE state = 'publishing' "
                        "AND claimed_by = :w"), {"w": kill["worker"]})
            except sa.exc.DBAPIError:
                continue
            if not left:
                reclaims[index] = time.monotonic() - kill["at"]


def _reclaim_figures(fleet: Fleet, reclaims: dict) -> dict:
    holding = [i for i, kill in enumerate(fleet.killed) if kill["held"]]
    times = sorted(reclaims[i] for i in holding if i in reclaims)
    return {"kills_holding_posts": len(holding),
            "posts_held_by_killed": sum(fleet.killed[i]["held"] for i in holding),
            "reclaim_s": [round(t, 1) for t in times],
            "reclaim_p50_s": round(measure.pct(times, 0.5), 1) if times else None,
            "reclaim_max_s": round(times[-1], 1) if times else None,
            "never_reclaimed": len(holding) - len(times)}


def _roller(fleet: Fleet, engine, workspace_id, stop: threading.Event, last: dict) -> None:
    """Once publishing has begun, restart every worker in turn (SIGTERM, wait for it to exit,
    start its replacement, wait until it is up), as a deployment would."""
    while not stop.wait(0.1) and not _published(engine, workspace_id):
        pass
    for index in range(fleet.count):
        if stop.is_set():
            return
        fleet.restart(index)
        last["at"] = time.monotonic()
        say(f"worker {index + 1} of {fleet.count} restarted")
        fleet.wait_ready(engine)


def _published(engine, workspace_id) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM posts WHERE workspace_id = :w "
                                   "AND state = 'published'"), {"w": workspace_id})


def _wait_settled(engine, workspace_id, deadline: float) -> float | None:
    while time.monotonic() < deadline:
        try:
            with engine.connect() as conn:
                open_posts = conn.scalar(sa.text(
                    "SELECT count(*) FROM posts WHERE workspace_id = :w "
                    "AND state IN ('scheduled', 'publishing')"), {"w": workspace_id})
        except sa.exc.DBAPIError:  # PostgreSQL restarting
            open_posts = -1
        if not open_posts:
            return time.monotonic()
        time.sleep(0.25)
    return None
