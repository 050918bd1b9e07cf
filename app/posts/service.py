"""Post use cases: create, edit, schedule, unschedule, cancel, retry, delete (reads.py lists)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.channels.compose_options import check_options
from app.channels.models import Channel
from app.errors import Conflict, NotFound, ValidationFailed
from app.media.models import Media
from app.posts.lifecycle import (
    PostState,
    can_retry,
    can_transition,
    is_deletable,
    is_editable,
    transition,
)
from app.posts.models import Post, PostEvent
from app.timeutil import parse_schedule, zone

# Content as _content() checks it: (text, parts, media ids).
Content = tuple[str | None, list[dict[str, Any]] | None, list[str]]

# A time this close behind the database clock counts as "now" (client clocks and latency).
PAST_GRACE = timedelta(seconds=30)
MAX_TEXT = 100_000
MAX_PARTS = 100


def db_now(sess: Session) -> datetime:
    return sess.execute(sa.select(sa.func.now())).scalar_one()


def get_post(sess: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, *,
             lock: bool = False) -> Post:
    query = sa.select(Post).where(Post.id == post_id, Post.workspace_id == workspace_id)
    # A locked read refreshes a post this session loaded before: its state may have changed
    # (a worker's claim) while the lock was awaited.
    post = sess.scalar(query.with_for_update().execution_options(populate_existing=True)
                       if lock else query)
    if post is None:
        raise NotFound("no such post in this workspace")
    return post


def channel_in_workspace(sess: Session, workspace_id: uuid.UUID, channel_id: uuid.UUID | str
                         ) -> Channel:
    channel = sess.scalar(sa.select(Channel).where(Channel.id == channel_id,
                                                   Channel.workspace_id == workspace_id))
    if channel is None:
        raise ValidationFailed("no such channel in this workspace", field="channel_id")
    return channel


def _content(sess: Session, workspace_id: uuid.UUID, text: str | None,
             parts: list[dict[str, Any]] | None, media_ids: Iterable[Any] | None) -> Content:
    if (text is None) == (parts is None):
        raise ValidationFailed("give either text or parts", field="text")
    media_ids = [str(m) for m in media_ids or []]
    if text is not None:
        if not text.strip() and not media_ids:
            raise ValidationFailed("text is empty", field="text")
        if len(text) > MAX_TEXT:
            raise ValidationFailed(f"text is longer than {MAX_TEXT} characters", field="text")
    else:
        if not parts:
            raise ValidationFailed("parts is empty", field="parts")
        if len(parts) > MAX_PARTS:
            raise ValidationFailed(f"at most {MAX_PARTS} parts", field="parts")
        parts = [{"text": p.get("text") or "", "media_ids": [str(m) for m in
                                                            p.get("media_ids") or []]}
                 for p in parts]
        for i, part in enumerate(parts):
            if not part["text"].strip() and not part["media_ids"]:
                raise ValidationFailed(f"part {i + 1} has neither text nor media",
                                       field=f"parts[{i}].text")
    wanted = set(media_ids) | {m for p in parts or [] for m in p["media_ids"]}
    if wanted:
        found = set(map(str, sess.scalars(sa.select(Media.id).where(
            Media.workspace_id == workspace_id, Media.id.in_([uuid.UUID(m) for m in wanted])))))
        lists = [("media_ids", list(media_ids))] + [
            (f"parts[{i}].media_ids", p["media_ids"]) for i, p in enumerate(parts or [])]
        for name, ids in lists:  # by its place: the id may be another workspace's, never echoed
            for place, media_id in enumerate(ids):
                if str(media_id) not in found:
                    raise ValidationFailed(f"no such media in this workspace: {name}[{place}]",
                                           field=name)
    return text, parts, media_ids


def _schedule_time(sess: Session, value: datetime | str, tz_name: str) -> datetime:
    when = value if isinstance(value, datetime) else parse_schedule(value, tz_name)
    now = db_now(sess)
    if when < now - PAST_GRACE:
        raise ValidationFailed("the date and time is in the past", field="schedule_at")
    return max(when, now)


def create_post(sess: Session, workspace_id: uuid.UUID, actor: str, *,
                channel_id: uuid.UUID | str, text: str | None = None,
                parts: list[dict[str, Any]] | None = None, media_ids: Iterable[Any] | None = (),
                schedule_at: datetime | str | None = None, timezone: str | None = None,
                options: dict[str, Any] | None = None,
                group_id: uuid.UUID | None = None, commit: bool = True) -> Post:
    """A draft, or a scheduled post when schedule_at is given."""
    channel = channel_in_workspace(sess, workspace_id, channel_id)
    tz_name = timezone or channel.timezone
    zone(tz_name)
    text, parts, media_ids = _content(sess, workspace_id, text, parts, media_ids)
    check_options(channel.platform, channel.settings or {}, options or {})
    post = Post(id=uuid.uuid4(), workspace_id=workspace_id, channel_id=channel.id,
                group_id=group_id or uuid.uuid4(), state=None, timezone=tz_name, text=text,
                parts=parts, media_ids=media_ids, options=options or {}, created_by=actor,
                results=[], warnings=[])
    if schedule_at is not None:
        post.schedule_at = _schedule_time(sess, schedule_at, tz_name)
        check_publishable(sess, channel, post)
    _convert_ahead(sess, channel, post)
    sess.add(post)
    transition(sess, post, PostState.SCHEDULED if schedule_at is not None else PostState.DRAFT,
               actor=actor)
    if commit:
        sess.commit()
    return post


UNSET = object()
STARTED = "this post started publishing; your edit was not saved"
CHANGED = ("this post was changed since you opened it (now {state}); your edit was not saved: "
           "reload it to see the new version")


def update_post(sess: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, actor: str, *,
                commit: bool = True, expect_version: int | None = None, **changes: Any) -> Post:
    """Edit content, channel or time of a draft, scheduled or failed post; its state stays.

    The row is locked (FOR UPDATE) before its state is checked, and the claim skips locked
    rows: a worker claiming the post at that moment either wins (the edit waits for the claim's
    commit, then is refused with STARTED) or passes the post by and claims the edited post on a
    later pass; never the old text with the new time, nor the edit saved over a claimed post.
    `expect_version` refuses an edit made on an older reading of the post (CHANGED)."""
    post = get_post(sess, workspace_id, post_id, lock=True)
    if not is_editable(post.state):
        raise Conflict(STARTED if post.state == PostState.PUBLISHING
                       else f"a {post.state} post can no longer be edited", field="state")
    if expect_version is not None and post.version != expect_version:
        raise Conflict(CHANGED.format(state=post.state), field="state")
    _apply(sess, post, actor, **changes)
    if commit:
        sess.commit()
    return post


# Each change is UNSET (left as it is) or the value of create_post's parameter of that name.
def _apply(sess: Session, post: Post, actor: str, *, channel_id: Any = UNSET, text: Any = UNSET,
           parts: Any = UNSET, media_ids: Any = UNSET, schedule_at: Any = UNSET,
           timezone: Any = UNSET, options: Any = UNSET) -> None:
    workspace_id = post.workspace_id
    before = post.channel_id
    if channel_id is not UNSET and channel_id is not None:
        post.channel_id = channel_in_workspace(sess, workspace_id, channel_id).id
    channel = channel_in_workspace(sess, workspace_id, post.channel_id)
    if timezone is not UNSET:
        zone(timezone)
        post.timezone = timezone
    if text is not UNSET or parts is not UNSET or media_ids is not UNSET:
        new_text = text if text is not UNSET else (None if parts is not UNSET else post.text)
        new_parts = parts if parts is not UNSET else (None if text is not UNSET else post.parts)
        new_media = media_ids if media_ids is not UNSET else post.media_ids
        post.text, post.parts, post.media_ids = _content(sess, workspace_id, new_text,
                                                         new_parts, new_media)
    if options is not UNSET or post.channel_id != before:
        options = post.options if options is UNSET else options
        check_options(channel.platform, channel.settings or {}, options or {})
        post.options = options or {}
    if schedule_at is not UNSET:
        if schedule_at is None:
            if post.state == PostState.SCHEDULED:
                raise ValidationFailed("a scheduled post needs a date and time; use Unschedule "
                                       "to make it a draft", field="schedule_at")
            post.schedule_at = None
        else:
            post.schedule_at = _schedule_time(sess, schedule_at, post.timezone)
    if post.state == PostState.SCHEDULED:
        check_publishable(sess, channel, post)
    _convert_ahead(sess, channel, post)
    detail: dict[str, Any] = {"edited": True}
    if post.channel_id != before:
        detail["channel_id"] = {"from": str(before), "to": str(post.channel_id)}
    sess.add(PostEvent(post_id=post.id, workspace_id=workspace_id, from_state=post.state,
                       to_state=post.state, actor=actor, detail=detail))
    sess.flush()


def schedule(sess: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, actor: str,
             schedule_at: datetime | str | None = None, commit: bool = True) -> Post:
    post = get_post(sess, workspace_id, post_id, lock=True)
    channel = channel_in_workspace(sess, workspace_id, post.channel_id)
    if not can_transition(post.state, PostState.SCHEDULED):
        raise Conflict(f"a {post.state} post cannot be scheduled", field="state")
    when = schedule_at or post.schedule_at
    if when is None:  # neither given now nor saved before ("" given counts as not given)
        raise ValidationFailed("choose a date and time", field="schedule_at")
    post.schedule_at = _schedule_time(sess, when, post.timezone)
    check_publishable(sess, channel, post)
    _convert_ahead(sess, channel, post)
    transition(sess, post, PostState.SCHEDULED, actor=actor)
    if commit:
        sess.commit()
    return post


def unschedule(sess: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, actor: str) -> Post:
    post = get_post(sess, workspace_id, post_id, lock=True)
    transition(sess, post, PostState.DRAFT, actor=actor)
    sess.commit()
    return post


def cancel(sess: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, actor: str) -> Post:
    post = get_post(sess, workspace_id, post_id, lock=True)
    transition(sess, post, PostState.CANCELED, actor=actor)
    sess.commit()
    return post


def retry(sess: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, actor: str,
          schedule_at: datetime | str | None = None, commit: bool = True) -> Post:
    """A failed post goes back to scheduled: now, or at the time given."""
    post = get_post(sess, workspace_id, post_id, lock=True)
    if not can_retry(post.state):
        raise Conflict(f"only a failed post can be retried; this one is {post.state}",
                       field="state")
    channel = channel_in_workspace(sess, workspace_id, post.channel_id)
    post.schedule_at = (_schedule_time(sess, schedule_at, post.timezone) if schedule_at
                        else db_now(sess))
    check_publishable(sess, channel, post)
    _convert_ahead(sess, channel, post)
    transition(sess, post, PostState.SCHEDULED, actor=actor, detail={"retry": True})
    if commit:
        sess.commit()
    return post


def delete_post(sess: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, actor: str) -> None:
    post = get_post(sess, workspace_id, post_id, lock=True)
    if not is_deletable(post.state):
        raise Conflict(f"a {post.state} post cannot be deleted; cancel it first"
                       if can_transition(post.state, PostState.CANCELED) else
                       f"a {post.state} post is kept for the record", field="state")
    from app.audit import service as audit
    from app.posts.serialize import post_summary

    audit.record(sess, workspace_id, actor, "post.deleted", target_type="post",
                 target_id=post.id, before=post_summary(post))
    sess.delete(post)
    sess.commit()


def check_publishable(sess: Session, channel: Channel, post: Post) -> None:
    """Refuse at schedule time what the channel could not publish."""
    if channel.status != "connected":
        raise ValidationFailed(f"the channel is disconnected: {channel.status_reason or ''}"
                               .rstrip(": "), field="channel_id")
    from app.channels.compose import check_publishable

    _check_media(sess, channel, post)
    post.warnings = check_publishable(sess, channel, post)


def _media_groups(post: Post) -> list[list[str]]:
    return [post.media_ids or []] + [p.get("media_ids") or [] for p in post.parts or []]


def _convert_ahead(sess: Session, channel: Channel, post: Post) -> None:
    """Queue the renditions the post's media need on its platform now (the workers make
    them), so that a problem shows long before the post is due and publishing finds them."""
    from app.media.conversions import start

    start(sess, post.workspace_id, [m for group in _media_groups(post) for m in group],
          [channel.platform])


def _check_media(sess: Session, channel: Channel, post: Post) -> None:
    from app.media.service import check_for_platform

    groups = _media_groups(post)
    wanted = {uuid.UUID(m) for group in groups for m in group}
    if not wanted:
        return
    found = {str(m.id): m for m in sess.scalars(sa.select(Media).where(Media.id.in_(wanted)))}
    for group in groups:
        if group:
            check_for_platform([found[m] for m in group], channel.platform)
