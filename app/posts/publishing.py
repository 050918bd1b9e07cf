"""Engine-side bookkeeping of publishing posts that is not a state change: retries, leases, parts.

Every write is fenced by the claim token, so a worker whose lease was taken over changes nothing.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

RELEASE_SQL = sa.text("""
WITH r AS (
    SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id uuid, token uuid,
        at timestamptz, delay float8, refund int, error_code text, error_message text,
        reason text)),
upd AS (
    UPDATE posts AS p SET claimed_by = NULL, claim_token = NULL, lease_until = NULL,
        next_attempt_at = greatest(coalesce(r.at, now() + make_interval(
            secs => coalesce(r.delay, 0))), now()),
        attempts = greatest(p.attempts - coalesce(r.refund, 0), 0),
        error_code = coalesce(r.error_code, p.error_code),
        error_message = coalesce(r.error_message, p.error_message),
        updated_at = now(), version = p.version + 1
    FROM r WHERE p.id = r.id AND p.claim_token = r.token AND p.state = 'publishing'
    RETURNING p.id, p.workspace_id, p.attempts, p.next_attempt_at, r.reason, r.error_code,
        r.error_message)
INSERT INTO post_events (post_id, workspace_id, from_state, to_state, actor, detail)
SELECT id, workspace_id, 'publishing', 'publishing', :actor,
    jsonb_build_object('released', reason, 'attempts', attempts,
        'next_attempt_at', next_attempt_at, 'error', CASE WHEN error_code IS NULL THEN NULL
            ELSE jsonb_build_object('code', error_code, 'message', error_message) END)
FROM upd
RETURNING post_id
""")


def release_many(sess: Session, releases: list[dict[str, Any]], *, actor: str) -> set[uuid.UUID]:
    """Give leases back so any worker retries later; the post stays `publishing`.

    `releases`: {"id", "token", "at" | "delay", "refund" (attempts not spent), "error_code",
    "error_message", "reason"}. Returns the ids accepted (a stale token is refused).
    """
    if not releases:
        return set()
    rows = sess.execute(RELEASE_SQL, {"rows": json.dumps(releases, default=str),
                                      "actor": actor}).scalars()
    return set(rows)


def renew_leases(sess: Session, tokens: list[uuid.UUID], lease_seconds: float) -> set[uuid.UUID]:
    """Extend the leases still held; returns the tokens that are still ours."""
    if not tokens:
        return set()
    rows = sess.execute(sa.text(
        "UPDATE posts SET lease_until = now() + make_interval(secs => :lease) "
        "WHERE claim_token = ANY(:tokens) AND state = 'publishing' AND lease_until IS NOT NULL "
        "RETURNING claim_token"), {"tokens": list(tokens), "lease": lease_seconds}).scalars()
    return set(rows)


EXPIRE_SQL = sa.text("""
WITH ended AS (
    UPDATE posts SET lease_until = now(), updated_at = now()
    WHERE claim_token = ANY(:tokens) AND state = 'publishing' AND lease_until IS NOT NULL
    RETURNING id, workspace_id)
INSERT INTO post_events (post_id, workspace_id, from_state, to_state, actor, detail)
SELECT id, workspace_id, 'publishing', 'publishing', :actor,
    jsonb_build_object('lease_ended', CAST(:reason AS text))
FROM ended
RETURNING post_id
""")


def expire_leases(sess: Session, tokens: list[uuid.UUID], *, actor: str,
                  reason: str = "shutdown") -> int:
    """End leases at once, with a post event each: the next claim reconciles these posts with
    the platform (their attempt's outcome is unknown), without waiting for the lease to run out."""
    if not tokens:
        return 0
    return len(sess.execute(EXPIRE_SQL, {"tokens": list(tokens), "actor": actor,
                                         "reason": reason}).all())


# A worker's liveness lock: pg_advisory_lock(LIVENESS_LOCK, hashtext(worker id)), held on a
# connection of its own for the worker's lifetime (jobs/liveness.py).
LIVENESS_LOCK = 727_003

DEAD_SQL = sa.text("""
UPDATE workers AS w SET stopped_at = w.last_tick_at
WHERE w.stopped_at IS NULL
    AND greatest(w.last_tick_at, pg_postmaster_start_time())
        < now() - make_interval(secs => :after)
    AND NOT EXISTS (SELECT 1 FROM pg_locks AS l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid = :lock AND l.objid = CAST(hashtext(w.id) AS oid))
RETURNING w.id
""")

RECLAIM_SQL = sa.text("""
WITH ended AS (
    UPDATE posts SET lease_until = now(), updated_at = now()
    WHERE state = 'publishing' AND lease_until IS NOT NULL AND claimed_by = ANY(:workers)
    RETURNING id, workspace_id, claimed_by)
INSERT INTO post_events (post_id, workspace_id, from_state, to_state, actor, detail)
SELECT id, workspace_id, 'publishing', 'publishing', :actor,
    jsonb_build_object('lease_ended', 'worker_gone', 'worker', claimed_by)
FROM ended
RETURNING post_id
""")


def reclaim_dead(sess: Session, dead_after: float, *, actor: str) -> tuple[list[str], int]:
    """End at once the leases of workers that are gone: their liveness lock (jobs/liveness.py)
    is free and they have not beaten for `dead_after` seconds since the later of their last
    tick and the server's start (a PostgreSQL restart frees every lock while workers live on).
    The next claim takes those posts as `expired` and reconciles them, as after a lease runs
    out. Such a worker is marked stopped, so only one caller ends its leases (another waits on
    its row, then finds it stopped). Returns (the workers, posts whose lease was ended)."""
    gone = list(sess.execute(DEAD_SQL, {"after": dead_after, "lock": LIVENESS_LOCK}).scalars())
    if not gone:
        return [], 0
    ended = sess.execute(RECLAIM_SQL, {"workers": gone, "actor": actor}).all()
    return gone, len(ended)


def save_part(sess: Session, post_id: uuid.UUID, token: uuid.UUID, part: dict[str, Any]) -> bool:
    """Record one part's result, replacing what an earlier step saved for the same part (a
    container, then the published post); False when the lease is no longer ours."""
    saved = sess.execute(sa.text(
        "UPDATE posts SET results = coalesce((SELECT jsonb_agg(r) FROM jsonb_array_elements("
        "results) AS r WHERE (r->>'index')::int <> :index), '[]'::jsonb) "
        "|| CAST(:part AS jsonb), updated_at = now() "
        "WHERE id = :id AND claim_token = :token AND state = 'publishing'"),
        {"part": json.dumps([part]), "index": part["index"], "id": post_id,
         "token": token})
    return cast("sa.CursorResult[Any]", saved).rowcount == 1


def held_elsewhere(sess: Session, channel_id: uuid.UUID, post_id: uuid.UUID, provider_post_id: str
                   ) -> bool:
    """Whether a post of the channel other than `post_id` already holds this platform post
    (as its post, or as one part of a thread)."""
    return bool(sess.execute(sa.text(
        "SELECT EXISTS (SELECT 1 FROM posts WHERE channel_id = :channel AND id <> :post AND "
        "(provider_post_id = :provider OR results @> CAST(:part AS jsonb)))"),
        {"channel": channel_id, "post": post_id, "provider": provider_post_id,
         "part": json.dumps([{"provider_post_id": provider_post_id}])}).scalar())


def repair_stuck(sess: Session) -> int:
    """A publishing post with neither a lease nor a next attempt would wait forever: retry now."""
    repaired = sess.execute(sa.text(
        "UPDATE posts SET next_attempt_at = now() WHERE state = 'publishing' "
        "AND lease_until IS NULL AND next_attempt_at IS NULL"))
    return cast("sa.CursorResult[Any]", repaired).rowcount


def next_due_in(sess: Session) -> float | None:
    """Seconds (database clock) until the earliest claimable post, or None when there is none."""
    seconds = sess.scalar(sa.text("""
        SELECT extract(epoch FROM least(
            (SELECT min(schedule_at) FROM posts WHERE state = 'scheduled'),
            (SELECT min(next_attempt_at) FROM posts
             WHERE state = 'publishing' AND lease_until IS NULL),
            (SELECT min(lease_until) FROM posts
             WHERE state = 'publishing' AND lease_until IS NOT NULL)) - now())"""))
    return None if seconds is None else float(seconds)
