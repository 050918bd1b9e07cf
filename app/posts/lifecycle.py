"""The post state machine (DESIGN.md §2): states, allowed transitions, the one transition function.

Nothing else assigns a post's state. Every transition writes its post event and its outbox rows
(webhook, and for failures a notification and email) in the caller's transaction.
"""

from __future__ import annotations

from enum import StrEnum

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
    return event


def _announce(sess: Session, post: Post, target: PostState) -> None:
    from app.notifications import service as notifications
    from app.outbox import service as outbox
    from app.posts.serialize import post_summary

    outbox.enqueue(sess, post.workspace_id, "webhook", f"post.{target.value}",
                   {"post": post_summary(post)})
    if target is S.FAILED:
        notifications.post_failed(sess, post)
