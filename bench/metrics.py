"""`openpost bench metrics`: collection against the sandbox fakes on loopback, all eight
platforms, one process; prints one JSON line of figures last.

Every post is published two hours ago with its +1 h measurement due; the run collects until
nothing is due and reports posts measured per second, calls made per platform and what the
per-channel and per-app budgets deferred. docs/analytics.md puts the figures beside the
platforms' limits.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from collections import Counter
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import db
from app.analytics.collectors import collector_for
from app.analytics.models import MetricDue, PostMetric
from app.analytics.service import collect_due_metrics, schedule_published
from app.channels import service as channels
from app.config import PLATFORMS
from app.posts.models import Post
from bench.engine import data

HOSTED = ("x", "threads", "instagram", "facebook", "linkedin", "tiktok")


def _account(http: httpx.Client, base: str, platform: str) -> tuple[dict, dict, str]:
    """(settings, credentials, account id) of a fresh sandbox account, as a connect flow
    stores them."""
    body = {"platform": platform, **({"organization": True} if platform == "linkedin" else {})}
    made = http.post(f"{base}/_control/accounts", json=body).json()
    if platform == "bluesky":
        session = http.post(f"{base}/bluesky/xrpc/com.atproto.server.createSession",
                            json={"identifier": made["handle"], "password": made["password"]}
                            ).json()
        return ({"pds_url": f"{base}/bluesky", "did": made["did"]},
                {"identifier": made["handle"], "app_password": made["password"],
                 "access_jwt": session["accessJwt"], "refresh_jwt": session["refreshJwt"],
                 "did": made["did"]}, made["did"])
    settings = {"account_id": made["account_id"]}
    if platform == "mastodon":
        settings["instance_url"] = f"{base}/mastodon"
    if platform == "facebook":
        settings["page_id"] = made["page_id"]
    if platform == "linkedin":
        settings["author_urn"] = made["author_urn"]
    creds = {k: made[k] for k in ("access_token", "refresh_token", "expires_at") if made.get(k)}
    return settings, creds, made["account_id"]


def _post_id(server, platform: str, account: str, settings: dict) -> str:
    number = server.state.next_id()
    if platform == "bluesky":
        return f"at://{account}/app.bsky.feed.post/3l{number[-11:]}"
    if platform == "linkedin":
        return f"urn:li:share:{number}"
    return number


def main(posts: int = 2000, channels_per_platform: int = 2) -> dict:
    from app.sandbox.server import SandboxServer

    os.environ.setdefault("OPENPOST_ALLOW_PRIVATE_HOSTS", "1")
    server = SandboxServer().start()
    for platform in HOSTED:
        os.environ[f"OPENPOST_{platform.upper()}_API_URL"] = f"{server.url}/{platform}"
    calls: Counter = Counter()
    log = server.state.log

    def counting(entry: dict) -> None:
        calls[(entry["platform"], entry["op"])] += 1
        log(entry)

    server.state.log = counting
    url = db.database_url()
    db.upgrade(url)
    engine = db.make_engine(url, pool_size=4)
    db.configure_engine(engine)
    per_channel = max(1, posts // (len(PLATFORMS) * channels_per_platform))
    with Session(engine) as sess:
        workspace_id = data.make_workspace(sess)
    try:
        made = _seed(server, engine, workspace_id, per_channel, channels_per_platform)
        with Session(engine) as sess:
            when = sess.scalar(sa.select(sa.func.now())) + timedelta(minutes=1)
        calls.clear()
        began, rounds, measured = time.perf_counter(), 0, 0
        while True:
            done = collect_due_metrics(when)
            rounds += 1
            measured += done
            if not done:
                break
        seconds = time.perf_counter() - began
        figures = _figures(engine, workspace_id, made, measured, seconds, rounds, calls)
    finally:
        with Session(engine) as sess:
            data.drop_workspace(sess, workspace_id)
        server.stop()
        engine.dispose()
    print(json.dumps(figures))
    return figures


def _seed(server, engine, workspace_id, per_channel: int, channels_per_platform: int) -> dict:
    made: dict[str, int] = {}
    with httpx.Client(timeout=10) as http, Session(engine) as sess:
        published = sess.scalar(sa.select(sa.func.now())) - timedelta(hours=1)
        for platform in PLATFORMS:
            for _ in range(channels_per_platform):
                settings, creds, account = _account(http, server.url, platform)
                if platform == "tiktok":
                    server.state.account("tiktok", account)["scopes"] += ",video.list"
                channel = channels.connect(sess, workspace_id, "bench", platform=platform,
                                           handle=f"@bench{uuid.uuid4().hex[:6]}",
                                           credentials=creds, settings=settings)
                rows = []
                for i in range(per_channel):
                    pid = _post_id(server, platform, account, settings)
                    server.state.record(platform, {
                        "id": pid, "account": account, "text": f"bench {i}",
                        "author": settings.get("author_urn"), "username": "bench",
                        "created_at": "2026-01-01T00:00:00.000Z", "reply_to": None,
                        "visibility": "public", "spoiler": "", "media_ids": []})
                    rows.append(Post(workspace_id=workspace_id, channel_id=channel.id,
                                     state="published", text=f"bench {i}", provider_post_id=pid,
                                     published_at=published, schedule_at=published))
                sess.add_all(rows)
                sess.flush()
                schedule_published(sess, [r.id for r in rows])
                made[platform] = made.get(platform, 0) + len(rows)
        sess.commit()
    return made


def _figures(engine, workspace_id, made: dict, measured: int, seconds: float, rounds: int,
             calls: Counter) -> dict:
    with Session(engine) as sess:
        statuses = dict(sess.execute(sa.select(PostMetric.status, sa.func.count()).where(
            PostMetric.workspace_id == workspace_id).group_by(PostMetric.status)).all())
        deferred = sess.scalar(sa.select(sa.func.count()).select_from(MetricDue).where(
            MetricDue.workspace_id == workspace_id, MetricDue.stage == "1h"))
    per_platform = {}
    for platform, n in made.items():
        collector = collector_for(platform, httpx.Client())
        made_calls = sum(c for (p, _op), c in calls.items() if p == platform)
        per_platform[platform] = {"posts": n, "calls": made_calls,
                                  "batch": collector.batch,
                                  "budget": f"{collector.rate.count}/{collector.rate.window_s}s"
                                            " per channel",
                                  "app_budget": f"{app.count}/{app.window_s}s per app"
                                  if (app := getattr(collector, "app_rate", None)) else None,
                                  "calls_needed": n if getattr(collector, "per_post", False)
                                  else math.ceil(n / collector.batch)}
    return {"bench": "metrics", "posts": sum(made.values()), "measured": measured,
            "statuses": statuses, "deferred_by_budget": deferred, "rounds": rounds,
            "seconds": round(seconds, 2),
            "posts_per_second": round(measured / seconds, 1) if seconds else None,
            "platforms": per_platform}
