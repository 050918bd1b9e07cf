"""Scheduling measurements when a post is published, and the collection duty.

`schedule_published()` runs in the transaction that marks posts published (jobs/worker.py,
after `lifecycle.finish_many`): it only adds rows to metric_schedule, never touches the post's
state, its events or the audit log. `collect_due_metrics()` is a plain duty: it claims due rows
(FOR UPDATE SKIP LOCKED, committed before any HTTP call), measures them per channel in the
platform's batches within the channel's metrics budget and, for platforms that count a limit
per app, the budget all channels of the platform share (both counted in PostgreSQL, so they
hold across processes), and writes one post_metrics row per post measured. A budget used up
moves the rest to its next window: no attempt is spent and nothing is marked failed.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import db
from app.analytics.collectors import (
    Snapshot,
    Target,
    app_key,
    collector_for,
    every,
    one_a_call,
    rate_key,
    unmeasured,
)
from app.analytics.models import MetricDue, PostMetric
from app.channels import tokens
from app.channels.models import Channel
from app.ops import ratelimit
from app.outbox import service as outbox
from app.platforms.base import PublishJob
from app.platforms.errors import AuthRevoked, PublishError, RateLimited
from app.platforms.http import make_client
from app.posts.models import Post

log = logging.getLogger(__name__)
STAGES = (("1h", timedelta(hours=1)), ("24h", timedelta(hours=24)), ("7d", timedelta(days=7)),
          ("30d", timedelta(days=30)))
HOLD = timedelta(minutes=10)  # a claimed row is left alone this long
MAX_ATTEMPTS = 5  # failed measurements of a post before it is marked unreachable
RETRY_BASE = timedelta(minutes=15)  # doubled with each failed attempt
DISCONNECTED_WAIT = timedelta(hours=6)
CLAIM_LIMIT = 1000
# What stops a post's collection.
FINAL = ("deleted", "unreachable")

SCHEDULE_SQL = sa.text("""
INSERT INTO metric_schedule (workspace_id, post_id, channel_id, stage, due_at)
SELECT p.workspace_id, p.id, p.channel_id, s.stage, coalesce(p.published_at, now()) + s.delay
FROM posts AS p
CROSS JOIN (VALUES ('1h', interval '1 hour'), ('24h', interval '24 hours'),
                   ('7d', interval '7 days'), ('30d', interval '30 days')) AS s(stage, delay)
WHERE p.id = ANY(:ids) AND p.state = 'published' AND p.provider_post_id IS NOT NULL
ON CONFLICT ON CONSTRAINT uq_metric_schedule_post_stage DO NOTHING
""")

CLAIM_SQL = sa.text("""
UPDATE metric_schedule AS m SET held_until = :now + make_interval(secs => :hold)
FROM (SELECT id FROM metric_schedule
      WHERE due_at <= :now AND (held_until IS NULL OR held_until < :now)
      ORDER BY due_at LIMIT :limit FOR UPDATE SKIP LOCKED) AS d
WHERE m.id = d.id
RETURNING m.id, m.post_id, m.channel_id, m.workspace_id, m.stage, m.attempts
""")

_local = threading.local()


def schedule_published(sess: Session, post_ids) -> None:
    """Measurements at +1 h, +24 h, +7 d and +30 d of each newly published post."""
    ids = list(post_ids)
    if ids:
        sess.execute(SCHEDULE_SQL, {"ids": ids})


def _client() -> httpx.Client:
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = make_client()
    return client


def collect_due_metrics(now: datetime | None = None, *, client: httpx.Client | None = None,
                        limit: int = CLAIM_LIMIT) -> int:
    """Measure the posts whose measurements are due; returns how many posts were measured."""
    sess = db.session()
    try:
        return _collect(sess, now, client or _client(), limit)
    finally:
        db.session.remove()


def _collect(sess: Session, now: datetime | None, client: httpx.Client, limit: int) -> int:
    now = now or sess.scalar(sa.select(sa.func.now()))
    rows = sess.execute(CLAIM_SQL, {"now": now, "hold": HOLD.total_seconds(),
                                    "limit": limit}).all()
    sess.commit()
    if not rows:
        return 0
    by_post: dict[uuid.UUID, list] = defaultdict(list)
    for row in rows:
        by_post[row.post_id].append(row)
    posts = {p.id: p for p in sess.scalars(sa.select(Post).where(Post.id.in_(by_post)))}
    by_channel: dict[uuid.UUID, list[Post]] = defaultdict(list)
    for post in posts.values():
        by_channel[post.channel_id].append(post)
    channels = {c.id: c for c in sess.scalars(sa.select(Channel).where(
        Channel.id.in_(by_channel)))}
    sess.commit()
    measured = 0
    spent_apps: dict[str, float] = {}  # platform -> seconds until its app budget has more
    for channel_id, channel_posts in by_channel.items():
        measured += _collect_channel(sess, now, client, channels[channel_id], channel_posts,
                                     by_post, spent_apps)
    return measured


def _collect_channel(sess: Session, now: datetime, client: httpx.Client, channel: Channel,
                     posts: list[Post], by_post: dict, spent_apps: dict[str, float]) -> int:
    targets = [_target(p) for p in posts]
    why = unmeasured(channel.platform, channel.settings)
    if why:  # no call can ever read these figures: say why once, without a call, and stop
        return _record(sess, now, channel, targets, every(targets, "not_available", why, True),
                       by_post)
    if channel.status != "connected":
        _defer(sess, [r for p in posts for r in by_post[p.id]], now + DISCONNECTED_WAIT, now,
               "the channel is disconnected")
        return 0
    collector = collector_for(channel.platform, client)
    job = _job(sess, channel)
    budgets = [(rate_key(collector, channel.id, channel.settings or {}), collector.rate)]
    app_rate = getattr(collector, "app_rate", None)
    if app_rate is not None:
        budgets.append((app_key(channel.platform), app_rate))
    measured = 0
    start = 0
    while start < len(targets):
        batch = targets[start:start + collector.batch]
        rest = [r for t in targets[start:] for r in by_post[uuid.UUID(t.post_id)]]
        if channel.platform in spent_apps:  # another channel used up the app's budget
            _release(sess, rest, now + timedelta(seconds=spent_apps[channel.platform]))
            break
        # A call per post (Mastodon before 4.3, the Graph insights) spends the budgets per post.
        per_post = one_a_call(collector, job)
        allowed, wait, refused = _spend(sess, budgets, len(batch) if per_post else 1)
        if not allowed:
            if refused == len(budgets) - 1 and app_rate is not None:
                spent_apps[channel.platform] = wait
            _release(sess, rest, now + timedelta(seconds=wait))
            break
        if per_post:
            batch = batch[:allowed]
        start += len(batch)
        charged = allowed if per_post else 1
        try:
            snapshots = collector.collect(job, batch)
        except RateLimited as exc:
            _release(sess, rest, exc.retry_at or now + timedelta(minutes=1))
            break
        except Exception as exc:  # a collector's bug must not hold the rows forever
            if isinstance(exc, PublishError | LookupError):
                log.warning("metrics of channel %s: %s", channel.id, exc)
            else:
                log.exception("metrics of channel %s: the collector failed", channel.id)
            sess.rollback()
            rows = [r for t in batch for r in by_post[uuid.UUID(t.post_id)]]
            _failed(sess, rows, now, str(getattr(exc, "message", exc)))
            if isinstance(exc, AuthRevoked):
                _defer(sess, rest[len(rows):], now + DISCONNECTED_WAIT, now, str(exc))
                break
            continue
        _overspent(sess, budgets, getattr(collector, "calls_made", charged) - charged)
        measured += _record(sess, now, channel, batch, snapshots, by_post)
    return measured


def _spend(sess: Session, budgets: list, calls: int) -> tuple[int, float, int]:
    """(calls the budgets allow now, out of `calls`; seconds until more; which budget refused).

    Each call is counted against the channel's budget, then the app's: a call the app's budget
    refuses has spent one of the channel's (at most one per window, as the rows then wait for
    the app's window)."""
    for allowed in range(calls):
        for which, (key, limit) in enumerate(budgets):
            wait = ratelimit.hit(sess, key, limit)
            if wait:
                return allowed, wait, which
    return calls, 0.0, -1


def _overspent(sess: Session, budgets: list, extra: int) -> None:
    """Count calls a collector made beyond what was charged (Mastodon learning that an
    instance is older than 4.3 reads that batch one status a call)."""
    for _ in range(max(extra, 0)):
        for key, limit in budgets:
            ratelimit.hit(sess, key, limit)


def _job(sess: Session, channel: Channel) -> PublishJob:
    channel_id = channel.id

    def save(creds: dict) -> None:
        row = sess.scalar(sa.select(Channel).where(Channel.id == channel_id).with_for_update())
        tokens.store(row, creds)
        sess.commit()

    def renew(stale: dict, exchange) -> dict:
        row = sess.scalar(sa.select(Channel).where(Channel.id == channel_id).with_for_update())
        if row is None or row.status != "connected":
            sess.rollback()
            raise AuthRevoked("the channel was disconnected; reconnect it")
        current = row.credentials
        if tokens._tokens(current) != tokens._tokens(stale):
            sess.commit()
            return current
        tokens.store(row, exchange(dict(current)))
        fresh = row.credentials
        sess.commit()
        return fresh

    return PublishJob(post_id="", channel_id=str(channel.id), platform=channel.platform,
                      handle=channel.handle, settings=dict(channel.settings or {}),
                      credentials=dict(channel.credentials), parts=[], options={},
                      idempotency_key="", done=[], save_part=lambda _r: None,
                      save_credentials=save, renew=renew)


def _target(post: Post) -> Target:
    first = (post.results or [{}])[0] or {}
    kinds = {m.get("content_type", "").split("/")[0] for m in post.media_ids or []
             if isinstance(m, dict)}
    kind = "carousel" if len(post.media_ids or []) > 1 else \
        ("video" if "video" in kinds else "image" if post.media_ids else None)
    return Target(post_id=str(post.id), provider_post_id=post.provider_post_id or "",
                  live_url=post.live_url, extra=first.get("extra") or {},
                  options=post.options or {}, published_at=post.published_at, media_kind=kind)


def _record(sess: Session, now: datetime, channel: Channel, batch: list[Target],
            snapshots: dict[str, Snapshot], by_post: dict) -> int:
    values, done, stop = [], [], []
    for target in batch:
        post_id = uuid.UUID(target.post_id)
        rows = by_post[post_id]
        snap = snapshots.get(target.post_id) or Snapshot("not_available", {},
                                                         "the platform gave no figures")
        stage = max((r.stage for r in rows), key=[s for s, _ in STAGES].index)
        values.append({"workspace_id": channel.workspace_id, "post_id": post_id,
                       "channel_id": channel.id, "stage": stage, "measured_at": now,
                       "status": snap.status, "metrics": snap.metrics, "detail": snap.detail})
        done += [r.id for r in rows]
        if snap.status in FINAL or snap.final:
            stop.append(post_id)
    sess.execute(sa.insert(PostMetric), values)
    sess.execute(sa.delete(MetricDue).where(MetricDue.id.in_(done)))
    if stop:
        sess.execute(sa.delete(MetricDue).where(MetricDue.post_id.in_(stop)))
    _webhooks(sess, values)
    sess.commit()
    return len(values)


def _release(sess: Session, rows: list, at: datetime) -> None:
    """Try these again at `at` (a rate limit: no attempt spent)."""
    if rows:
        sess.execute(sa.update(MetricDue).where(MetricDue.id.in_([r.id for r in rows]))
                     .values(due_at=at, held_until=None))
    sess.commit()


def _defer(sess: Session, rows: list, at: datetime, now: datetime, reason: str) -> None:
    _failed(sess, rows, now, reason, at=at)


def _failed(sess: Session, rows: list, now: datetime, reason: str,
            at: datetime | None = None) -> None:
    """One more failed attempt; a post that has failed MAX_ATTEMPTS times is unreachable."""
    given_up = {r.post_id: r for r in rows if r.attempts + 1 >= MAX_ATTEMPTS}
    again = [r.id for r in rows if r.post_id not in given_up]
    if again:
        delay = RETRY_BASE * 2 ** min(max(r.attempts for r in rows), 6)
        sess.execute(sa.update(MetricDue).where(MetricDue.id.in_(again)).values(
            attempts=MetricDue.attempts + 1, held_until=None, due_at=at or now + delay))
    if given_up:
        values = [{"workspace_id": r.workspace_id, "post_id": r.post_id,
                   "channel_id": r.channel_id, "stage": r.stage, "measured_at": now,
                   "status": "unreachable", "metrics": {},
                   "detail": f"stopped after {MAX_ATTEMPTS} failed attempts: {reason}"[:2000]}
                  for r in given_up.values()]
        sess.execute(sa.insert(PostMetric), values)
        sess.execute(sa.delete(MetricDue).where(MetricDue.post_id.in_(list(given_up))))
        _webhooks(sess, values)
    sess.commit()


# -- the opt-in post.metrics webhook --------------------------------------------------------

_SUBSCRIBED = sa.text("SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE workspace_id = :ws "
                      "AND enabled AND events @> '[\"post.metrics\"]'::jsonb)")


def _webhooks(sess: Session, values: list[dict]) -> None:
    """A post.metrics event per measurement, for workspaces with an endpoint that asked for it
    by name (an endpoint taking every event does not get it: it is opt-in)."""
    wanted: dict = {}
    for value in values:
        ws = value["workspace_id"]
        if ws not in wanted:
            wanted[ws] = bool(sess.scalar(_SUBSCRIBED, {"ws": ws}))
        if wanted[ws]:
            outbox.enqueue(sess, ws, "webhook", "post.metrics", {"metrics": snapshot_json(value)})


def snapshot_json(row) -> dict:
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    measured = get("measured_at")
    return {"post_id": str(get("post_id")), "channel_id": str(get("channel_id")),
            "stage": get("stage"), "status": get("status"),
            "measured_at": measured.astimezone(UTC).isoformat() if measured else None,
            "metrics": dict(get("metrics") or {}), "detail": get("detail")}
