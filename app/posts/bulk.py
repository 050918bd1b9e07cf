"""Acting on several posts at once: which of them an action applies to, and each one's result.

The lifecycle's predicates decide what applies to a post in its state; each post is then acted
on by its own use case (service.py) in its own transaction, so one refusal (a post that started
publishing meanwhile, say) leaves the others done.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import DomainError, ValidationFailed
from app.posts import lifecycle, service
from app.posts.lifecycle import PostState
from app.posts.models import Post

# action -> what its menu says
ACTIONS = {"cancel": "Cancel", "unschedule": "Unschedule to draft", "retry": "Retry",
           "delete": "Delete", "shift": "Move by days"}
MAX_POSTS = 500
MAX_DAYS = 365


def label(action: str, days: int = 0) -> str:
    """What the confirmation and the results call the action."""
    if action == "shift":
        return f"Move {abs(days)} day{'s' if abs(days) != 1 else ''} " \
               f"{'later' if days > 0 else 'earlier'}"
    return ACTIONS[action]


def phrase(action: str, n: int, days: int = 0) -> str:
    """"Cancel 3 posts", "Move 3 posts 2 days later": the question and its button."""
    posts = f"{n} post{'s' if n != 1 else ''}"
    if action == "shift":
        return "Move " + posts + label(action, days).removeprefix("Move")
    return f"{ACTIONS[action]} {posts}"


def parse_days(action: str, value: str | None) -> int:
    """How many days a Move shifts by (later when positive); other actions need none."""
    if action != "shift":
        return 0
    from app.inputs import whole_number

    text = (value or "").strip()
    try:
        days = whole_number(text.removeprefix("-"), "days", 0, MAX_DAYS)
    except ValidationFailed as exc:
        raise ValidationFailed(f"days must be a whole number from -{MAX_DAYS} to {MAX_DAYS}",
                               field="days") from exc
    days = -days if text.startswith("-") else days
    if days == 0:
        raise ValidationFailed("days must not be 0: move by at least one day", field="days")
    return days


def applies(action: str, state: str, timed: bool = True) -> bool:
    """Whether `action` may be done to a post in `state` (the lifecycle's rules); a Move needs
    an editable post with a time."""
    if action == "shift":
        return lifecycle.is_editable(state) and timed
    if action == "cancel":
        return lifecycle.can_transition(state, PostState.CANCELED)
    if action == "unschedule":
        return lifecycle.can_transition(state, PostState.DRAFT)
    if action == "retry":
        return lifecycle.can_retry(state)
    return lifecycle.is_deletable(state)


def why_not(action: str, state: str) -> str:
    """Why `action` does not apply to a post in `state`, in the words the page shows."""
    if action == "shift":
        return (f"a {state} post can no longer be moved" if not lifecycle.is_editable(state)
                else "it has no time to move from; give it one on its page")
    return {"cancel": f"a {state} post cannot be canceled",
            "unschedule": f"only a scheduled post can go back to draft; this one is {state}",
            "retry": f"only a failed post can be retried; this one is {state}",
            "delete": f"a {state} post is kept for the record"
                      + ("; cancel it first" if lifecycle.can_transition(state, "canceled")
                         else "")}[action]


def parse_ids(values: list[str]) -> list[uuid.UUID]:
    """The chosen posts' ids, in order, once each; refused when none or one is not an id."""
    ids: list[uuid.UUID] = []
    for value in values:
        try:
            post_id = uuid.UUID(value)
        except ValueError as exc:
            raise ValidationFailed(f"{value!r} is not a post id", field="post_id") from exc
        if post_id not in ids:
            ids.append(post_id)
    if not ids:
        raise ValidationFailed("choose at least one post", field="post_id")
    if len(ids) > MAX_POSTS:
        raise ValidationFailed(f"choose at most {MAX_POSTS} posts at once", field="post_id")
    return ids


def _check(action: str) -> None:
    if action not in ACTIONS:
        raise ValidationFailed(f"action must be one of {', '.join(ACTIONS)}", field="action")


@dataclass
class Item:
    """One post as the page lists it (taken before acting: a deleted post is gone after)."""
    id: uuid.UUID
    channel_id: uuid.UUID
    state: str  # after the action, when it was done
    snippet: str
    schedule_at: object
    timezone: str
    ok: bool
    reason: str | None = None  # why it was (or will be) left as it is
    gone: bool = False  # deleted

    @classmethod
    def of(cls, post: Post, ok: bool, reason: str | None = None) -> Item:
        text = post.text if post.text is not None else (post.parts or [{}])[0].get("text", "")
        return cls(post.id, post.channel_id, post.state, (text or "")[:80], post.schedule_at,
                   post.timezone, ok, reason)


@dataclass
class Plan:
    ready: list[Item]
    skipped: list[Item]


def _posts(sess: Session, workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Post]:
    found = {p.id: p for p in sess.scalars(sa.select(Post).where(
        Post.workspace_id == workspace_id, Post.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(f"{len(missing)} of the chosen posts are not in this workspace "
                               "(deleted meanwhile?); nothing was changed", field="post_id")
    return [found[i] for i in ids]


def plan(sess: Session, workspace_id: uuid.UUID, action: str, ids: list[uuid.UUID]) -> Plan:
    """What a confirmation shows: the posts the action applies to and those it skips."""
    _check(action)
    items = [Item.of(p, True) if applies(action, p.state, p.schedule_at is not None)
             else Item.of(p, False, why_not(action, p.state))
             for p in _posts(sess, workspace_id, ids)]
    return Plan([i for i in items if i.ok], [i for i in items if not i.ok])


USE_CASES: dict[str, Callable[[Session, uuid.UUID, uuid.UUID, str], Post | None]] = {
    "cancel": service.cancel, "unschedule": service.unschedule, "retry": service.retry,
    "delete": service.delete_post}


def _shift(sess: Session, workspace_id: uuid.UUID, post: Post, actor: str, days: int) -> Post:
    """The post's time moved by `days`, its state kept (a draft stays a draft)."""
    if post.schedule_at is None:  # read again after the plan: its time was cleared since
        raise ValidationFailed("this post no longer has a time to move", field="schedule_at")
    return service.update_post(sess, workspace_id, post.id, actor,
                               schedule_at=post.schedule_at + timedelta(days=days))


def run(sess: Session, workspace_id: uuid.UUID, action: str, ids: list[uuid.UUID], actor: str,
        days: int = 0) -> list[Item]:
    """Act on each post on its own; a post the action does not apply to (now) is left as it is,
    with the reason."""
    _check(action)
    results: list[Item] = []
    for post in _posts(sess, workspace_id, ids):
        item = Item.of(post, applies(action, post.state, post.schedule_at is not None))
        if not item.ok:
            item.reason = why_not(action, post.state)
        else:
            # Its use case locks and reads the row again: whatever changed it since (a worker
            # claiming it, say) is what the lifecycle then judges.
            sess.expire(post)
            try:
                done: Post | None
                if action == "shift":
                    done = _shift(sess, workspace_id, post, actor, days)
                    item.schedule_at = done.schedule_at
                else:
                    done = USE_CASES[action](sess, workspace_id, post.id, actor)
                item.gone = done is None
                item.state = "deleted" if done is None else done.state
            except DomainError as exc:
                sess.rollback()
                item.ok, item.reason = False, exc.message
        results.append(item)
    return results
