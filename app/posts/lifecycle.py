"""The post state machine (DESIGN.md §2): states, allowed transitions, the one transition function.

Nothing else assigns a post's state. Every transition writes its post event and its outbox rows
(webhook, and for failures a notification and email) in the caller's transaction.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import InvalidTransition
from app.logs import request_id_var
from app.posts.models import Post, PostEvent


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
TERMINAL = frozenset({S.PUBLISHED, S.CANCELED})
EDITABLE = frozenset({S.DRAFT, S.SCHEDULED, S.FAILED})


def can_transition(current: str | None, target: str) -> bool:
    return PostState(target) in TRANSITIONS[PostState(current) if current else None]


def transition(sess: Session, post: Post, target: PostState | str, *, actor: str,
               detail: dict | None = None, error: tuple[str, str] | None = None) -> PostEvent:
    """Move `post` to `target`, or raise InvalidTransition and change nothing."""
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
    event = PostEvent(post_id=post.id, workspace_id=post.workspace_id, from_state=current,
                      to_state=target.value, actor=actor, request_id=request_id_var.get(),
                      detail=dict(detail or {}, **({"error": {"code": post.error_code,
                                                              "message": post.error_message}}
                                                   if target is S.FAILED else {})))
    sess.add(event)
    sess.flush()
    _announce(sess, post, target)
    if target is S.SCHEDULED:
        notify_due(sess)
    return event


DUE_CHANNEL = "openpost_due"


def notify_due(sess: Session) -> None:
    """Wake sleeping workers when this transaction commits (a new post may be due sooner)."""
    sess.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": DUE_CHANNEL})


def _announce(sess: Session, post: Post, target: PostState) -> None:
    from app.notifications import service as notifications
    from app.outbox import service as outbox
    from app.posts.serialize import post_summary

    outbox.enqueue(sess, post.workspace_id, "webhook", f"post.{target.value}",
                   {"post": post_summary(post)})
    if target is S.FAILED:
        notifications.post_failed(sess, post)


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
RETURNING p.*, picked.source
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
RETURNING p.*
""")


def claim_due(sess: Session, worker_id: str, limit: int, lease_seconds: float) -> list:
    """Lease up to `limit` posts in one statement: expired leases, due retries, due posts.

    Rows carry `source` ('expired', 'retry' or 'due'); only 'due' rows change state here
    (scheduled -> publishing). The caller commits before any HTTP call.
    """
    rows = sess.execute(CLAIM_SQL, {"worker": worker_id, "limit": limit,
                                    "lease": lease_seconds}).all()
    _record_many(sess, [r for r in rows if r.source == "due"], S.SCHEDULED, S.PUBLISHING,
                 "worker:" + worker_id)
    return rows


def finish_many(sess: Session, outcomes: list[dict], *, actor: str) -> list:
    """publishing -> published | failed for many posts, each fenced by its claim token.

    `outcomes`: {"id", "token", "target", "live_url", "provider_post_id", "results",
    "warnings", "error_code", "error_message"}. Returns the rows accepted; a row whose token
    no longer matches (its lease was taken over) is refused and left untouched.
    """
    import json

    for outcome in outcomes:
        if not can_transition(S.PUBLISHING, outcome["target"]):
            raise InvalidTransition(f"a publishing post cannot become {outcome['target']}")
    if not outcomes:
        return []
    rows = sess.execute(FINISH_SQL, {"rows": json.dumps(outcomes, default=str)}).all()
    for target in (S.PUBLISHED, S.FAILED):
        _record_many(sess, [r for r in rows if r.state == target], S.PUBLISHING, target, actor)
    return rows


def create_many(sess: Session, posts: list[dict], target: PostState, *, actor: str) -> None:
    """Insert many new posts directly in `target` (draft or scheduled), with their events."""
    target = PostState(target)
    if not can_transition(None, target):
        raise InvalidTransition(f"a new post cannot be {target}")
    rows = sess.execute(sa.insert(Post.__table__).returning(*Post.__table__.c),
                        [dict(p, state=target.value) for p in posts]).all()
    _record_many(sess, rows, None, target, actor)
    if target is S.SCHEDULED:
        notify_due(sess)


EVENTS_SQL = sa.text("""
INSERT INTO post_events (post_id, workspace_id, from_state, to_state, actor, request_id, detail)
SELECT (e->>'post_id')::uuid, (e->>'workspace_id')::uuid, :from_state, :to_state, :actor,
    :request_id, e->'detail'
FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS e
""")

WEBHOOKS_SQL = sa.text("""
INSERT INTO outbox (event_id, workspace_id, kind, event_type, payload, attempts)
SELECT gen_random_uuid(), (e->'post'->>'workspace_id')::uuid, 'webhook', :event_type,
    jsonb_build_object('post', e->'post'->'summary'), 0
FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS e
""")


def _record_many(sess: Session, rows: list, source: PostState | None, target: PostState,
                 actor: str) -> None:
    """The event and webhook rows of a set-based transition: one statement each, whatever the
    number of posts (the rows travel as one JSON parameter)."""
    import json

    from app.notifications import service as notifications
    from app.posts.serialize import post_summary

    if not rows:
        return
    failed = target is S.FAILED
    events = [{"post_id": str(r.id), "workspace_id": str(r.workspace_id),
               "detail": {"error": {"code": r.error_code, "message": r.error_message}}
               if failed else {}} for r in rows]
    sess.execute(EVENTS_SQL, {"rows": json.dumps(events), "from_state": source,
                              "to_state": target.value, "actor": actor,
                              "request_id": request_id_var.get()})
    hooks = [{"post": {"workspace_id": str(r.workspace_id), "summary": post_summary(r)}}
             for r in rows]
    sess.execute(WEBHOOKS_SQL, {"rows": json.dumps(hooks), "event_type": f"post.{target.value}"})
    if failed:
        for row in rows:
            notifications.post_failed(sess, row)
