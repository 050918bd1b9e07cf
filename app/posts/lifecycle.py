"""The post state machine (docs/architecture.md, Post lifecycle): states, transitions, the one function.

Nothing else assigns a post's state. Every transition writes its post event and its outbox rows
(webhook, and for failures a notification and email) in the caller's transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import InvalidTransition
from app.logs import request_id_var
from app.outbox.service import endpoint_enabled
from app.posts.models import Post


class PostState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELED = "canceled"


S = PostState
TRANSITIONS: dict[PostState | None, frozenset[PostState]] = {
    None: frozenset({S.DRAFT, S.SCHEDULED}),  # creation
    S.DRAFT: frozenset({S.SCHEDULED, S.CANCELED}),
    S.SCHEDULED: frozenset({S.DRAFT, S.CANCELED, S.PUBLISHING}),
    S.PUBLISHING: frozenset({S.PUBLISHED, S.FAILED}),
    S.FAILED: frozenset({S.SCHEDULED, S.CANCELED}),
    S.PUBLISHED: frozenset(),
    S.CANCELED: frozenset(),
}
# The rules services and templates ask about a state; nothing else lists states.
EDITABLE = frozenset({S.DRAFT, S.SCHEDULED, S.FAILED})     # content and time may change
DELETABLE = frozenset({S.DRAFT, S.FAILED, S.CANCELED})     # the rest is kept for the record
LIVE = frozenset({S.SCHEDULED, S.PUBLISHING})              # the engine will still act on it


def can_transition(current: str | None, target: str) -> bool:
    return PostState(target) in TRANSITIONS[PostState(current) if current else None]


def is_editable(state: str) -> bool:
    return state in EDITABLE


def is_deletable(state: str) -> bool:
    return state in DELETABLE


def is_live(state: str) -> bool:
    """The engine will still move it without anyone acting (pages poll it)."""
    return state in LIVE


def is_draft(state: str) -> bool:
    """Saved but not set to go out: only Schedule (never a save) makes it scheduled."""
    return state == S.DRAFT


def is_scheduled(state: str) -> bool:
    """Set to go out at its time; an edit keeps it so."""
    return state == S.SCHEDULED


def is_attempting(state: str) -> bool:
    """An attempt is under way or waits for its next try."""
    return state == S.PUBLISHING


def can_retry(state: str) -> bool:
    """A retry takes a failed post back to scheduled."""
    return state == S.FAILED and can_transition(state, S.SCHEDULED)


def transition(sess: Session, post: Post, target: PostState | str, *, actor: str,
               detail: dict[str, Any] | None = None, error: tuple[str, str] | None = None) -> None:
    """Move `post` to `target`, or raise InvalidTransition and change nothing. Its post event
    and webhook rows are written by the statements the set-based transitions use."""
    target = PostState(target)
    current = post.state
    if not can_transition(current, target):
        raise InvalidTransition(f"a {current} post cannot become {target}", field="state")
    post.state = target.value
    if target is S.FAILED:
        code, message = error or ("platform_error", "publishing failed")
        post.error_code, post.error_message = code, message
    elif target in (S.SCHEDULED, S.DRAFT, S.PUBLISHING):
        post.error_code = post.error_message = None
    if target is not S.PUBLISHING:
        post.claimed_by = post.claim_token = post.lease_until = post.next_attempt_at = None
    if target is S.SCHEDULED and current == S.FAILED:
        post.attempts = 0
    sess.add(post)
    sess.flush()
    _record_many(sess, [post.id], current, target, actor, detail)
    if target is S.FAILED:
        from app.notifications import service as notifications

        notifications.post_failed(sess, post)
    if target is S.SCHEDULED:
        notify_due(sess)


DUE_CHANNEL = "openpost_due"


def notify_due(sess: Session) -> None:
    """Wake sleeping workers when this transaction commits (a new post may be due sooner)."""
    sess.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": DUE_CHANNEL})


# Set-based transitions for the publishing engine: one statement per batch; each row still gets
# its post event and webhook outbox row (failures also their notification) in the same transaction.

CLAIM_SQL = sa.text("""
WITH expired AS (
    SELECT id, 'expired' AS source FROM posts
    WHERE state = 'publishing' AND lease_until IS NOT NULL AND lease_until < now()
    ORDER BY lease_until LIMIT :limit FOR UPDATE SKIP LOCKED),
retry AS (
    SELECT id, 'retry' AS source FROM posts
    WHERE state = 'publishing' AND lease_until IS NULL AND next_attempt_at <= now()
    ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED),
due AS (
    SELECT id, 'due' AS source FROM posts
    WHERE state = 'scheduled' AND schedule_at <= now()
    ORDER BY schedule_at LIMIT :limit FOR UPDATE SKIP LOCKED),
picked AS (
    (SELECT * FROM expired) UNION ALL (SELECT * FROM retry) UNION ALL (SELECT * FROM due)
    LIMIT :limit)
UPDATE posts AS p SET state = 'publishing', claimed_by = :worker,
    claim_token = gen_random_uuid(), lease_until = now() + make_interval(secs => :lease),
    next_attempt_at = NULL, attempts = p.attempts + 1,
    idempotency_key = coalesce(p.idempotency_key, replace(gen_random_uuid()::text, '-', '')),
    updated_at = now(), version = p.version + 1
FROM picked WHERE p.id = picked.id
RETURNING p.id, p.workspace_id, p.channel_id, p.claim_token, p.attempts, p.schedule_at,
    p.idempotency_key, p.text, p.parts, p.media_ids, p.options, p.results, picked.source
""")

FINISH_SQL = sa.text("""
UPDATE posts AS p SET state = r.target,
    live_url = coalesce(r.live_url, p.live_url),
    provider_post_id = coalesce(r.provider_post_id, p.provider_post_id),
    results = coalesce(r.results, p.results), warnings = coalesce(r.warnings, p.warnings),
    error_code = r.error_code, error_message = r.error_message,
    published_at = CASE WHEN r.target = 'published' THEN now() END,
    claimed_by = NULL, claim_token = NULL, lease_until = NULL, next_attempt_at = NULL,
    updated_at = now(), version = p.version + 1
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id uuid, token uuid, target text,
    live_url text, provider_post_id text, results jsonb, warnings jsonb, error_code text,
    error_message text)
WHERE p.id = r.id AND p.claim_token = r.token AND p.state = 'publishing'
RETURNING p.id, p.workspace_id, p.channel_id, p.state, p.schedule_at, p.published_at,
    p.error_code, p.error_message
""")


def claim_due(sess: Session, worker_id: str, limit: int, lease_seconds: float
              ) -> Sequence[sa.Row[Any]]:
    """Lease up to `limit` posts in one statement: expired leases, due retries, due posts.

    Rows carry the columns the engine needs (not the whole post: less to send and to load)
    and `source` ('expired', 'retry' or 'due'); only 'due' rows change state here
    (scheduled -> publishing). The caller commits before any HTTP call.
    """
    rows = sess.execute(CLAIM_SQL, {"worker": worker_id, "limit": limit,
                                    "lease": lease_seconds}).all()
    _record_many(sess, [r.id for r in rows if r.source == "due"], S.SCHEDULED, S.PUBLISHING,
                 "worker:" + worker_id)
    return rows


def finish_many(sess: Session, outcomes: list[dict[str, Any]], *, actor: str
                ) -> Sequence[sa.Row[Any]]:
    """publishing -> published | failed for many posts, each fenced by its claim token.

    `outcomes`: {"id", "token", "target", "live_url", "provider_post_id", "results",
    "warnings", "error_code", "error_message"}. Returns the rows accepted (id, workspace_id,
    channel_id, state, schedule_at, published_at, error_code, error_message); a row whose
    token no longer matches (its lease was taken over) is refused and left untouched.
    """
    from app.notifications import service as notifications

    for outcome in outcomes:
        if not can_transition(S.PUBLISHING, outcome["target"]):
            raise InvalidTransition(f"a publishing post cannot become {outcome['target']}")
    if not outcomes:
        return []
    rows = sess.execute(FINISH_SQL, {"rows": json.dumps(outcomes, default=str)}).all()
    for target in (S.PUBLISHED, S.FAILED):
        _record_many(sess, [r.id for r in rows if r.state == target], S.PUBLISHING, target,
                     actor)
    for row in rows:
        if row.state == S.FAILED:
            notifications.post_failed(sess, row)
    return rows


def create_many(sess: Session, posts: list[dict[str, Any]], target: PostState, *, actor: str
                ) -> None:
    """Insert many new posts directly in `target` (draft or scheduled), with their events."""
    target = PostState(target)
    if not can_transition(None, target):
        raise InvalidTransition(f"a new post cannot be {target}")
    table = cast(sa.Table, Post.__table__)
    ids = sess.scalars(sa.insert(table).returning(table.c.id),
                       [dict(p, state=target.value) for p in posts]).all()
    _record_many(sess, ids, None, target, actor)
    if target is S.SCHEDULED:
        notify_due(sess)


# A transition's post events and webhook outbox rows, one statement each whatever the number of
# posts: the one place they are written, for a single post (transition()) as for a batch. The
# webhook payload is the post's summary as the database builds it (post_summary(), migration
# 0007), right after the change. A workspace without an enabled webhook endpoint gets no
# webhook rows: an endpoint receives the changes made while it is enabled.
EVENTS_SQL = sa.text("""
INSERT INTO post_events (post_id, workspace_id, from_state, to_state, actor, request_id, detail)
SELECT p.id, p.workspace_id, CAST(:from_state AS text), CAST(:to_state AS text), :actor,
    CAST(:request_id AS text), CAST(:detail AS jsonb) ||
    CASE WHEN CAST(:to_state AS text) = 'failed' THEN jsonb_build_object('error', jsonb_build_object(
        'code', p.error_code, 'message', p.error_message)) ELSE '{}'::jsonb END
FROM posts AS p WHERE p.id = ANY(:ids) ORDER BY p.id
""")

WEBHOOKS_SQL = sa.text("""
INSERT INTO outbox (event_id, workspace_id, kind, event_type, payload, attempts)
SELECT gen_random_uuid(), p.workspace_id, 'webhook', :event_type,
    jsonb_build_object('post', post_summary(p)), 0
FROM posts AS p
WHERE p.id = ANY(:ids) AND """ + endpoint_enabled("p.workspace_id"))


def _record_many(sess: Session, ids: Sequence[uuid.UUID], source: str | None, target: PostState,
                 actor: str, detail: dict[str, Any] | None = None) -> None:
    """The post events (`detail` added to each) and webhook rows of a transition of `ids`."""
    if ids:
        sess.execute(EVENTS_SQL, {"ids": list(ids), "from_state": source,
                                  "to_state": target.value, "actor": actor,
                                  "request_id": request_id_var.get(),
                                  "detail": json.dumps(detail or {})})
        announce(sess, ids, f"post.{target.value}")


def announce(sess: Session, ids: Sequence[uuid.UUID], event_type: str) -> None:
    """Queue the webhook `event_type` for posts `ids` (flushed), with their summaries."""
    sess.execute(WEBHOOKS_SQL, {"ids": list(ids), "event_type": event_type})
