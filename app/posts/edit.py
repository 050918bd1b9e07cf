"""Editing a saved post in the composer: the form it starts from, and saving it in one go."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.channels.models import Channel
from app.errors import Conflict, ValidationFailed
from app.platforms.tiktok.options import FLAGS, INTERACTIONS
from app.posts import compose, service
from app.posts.compose import Draft
from app.posts.lifecycle import PostState, can_retry
from app.posts.models import Post
from app.timeutil import parse_schedule, to_local, zone

# Save keeps the post's state (a draft stays a draft, its time only planned); Schedule and
# Publish now are the only ways a draft or a failed post becomes scheduled.
ACTIONS = ("save", "schedule", "now")


def draft_of(post: Post) -> Draft:
    """The composer's form for a saved post."""
    parts = [p.get("text") or "" for p in post.parts] if post.parts else [post.text or ""]
    when = to_local(post.schedule_at, post.timezone)
    return Draft(channel_ids=[str(post.channel_id)], parts=parts,
                 schedule_at=when.strftime("%Y-%m-%dT%H:%M") if when else "",
                 timezone=post.timezone, media_ids=[str(m) for m in post.media_ids or []],
                 options={str(post.channel_id): _tiktok_form(post.options or {})})


def _tiktok_form(options: dict[str, Any]) -> dict[str, str]:
    """TikTok's post options as the composer's fields send them (the inverse of from_form)."""
    if "post_mode" not in options:
        return {}
    form = {"post_mode": options["post_mode"], "privacy_level": options.get("privacy_level", "")}
    form.update({f"allow_{name}": "on" for name, _label in INTERACTIONS
                 if not options.get(f"disable_{name}")})
    form.update({flag: "on" for flag in FLAGS if options.get(flag)})
    return form


def save(sess: Session, workspace_id: uuid.UUID, actor: str, post_id: uuid.UUID,
         version: int | None, draft: Draft, action: str, commit: bool = True) -> list[Post]:
    """Apply the form to the post (and add a post for each newly chosen channel, in its group),
    then schedule it if asked: all in one transaction, or nothing when anything is refused."""
    if action not in ACTIONS:
        raise ValidationFailed("choose save, schedule or publish now", field="action")
    post = service.get_post(sess, workspace_id, post_id)
    channels = compose._chosen(sess, workspace_id, draft)
    zone(draft.timezone)
    keep = next((c for c in channels if c.id == post.channel_id), channels[0])
    when = _when(sess, draft, action, post.state)
    live = action != "save" or post.state == PostState.SCHEDULED
    media = compose._own_media(sess, workspace_id, draft)
    for channel in channels:
        compose._check(sess, workspace_id, draft, channel, when if live else None)
    compose._describe_media(sess, workspace_id, actor, draft, media)
    same_platform = keep.id == post.channel_id
    service.update_post(
        sess, workspace_id, post_id, actor, commit=False, expect_version=version,
        channel_id=keep.id, **_content(post, draft.content_for(keep.id)),
        media_ids=draft.media_ids, schedule_at=when, timezone=draft.timezone,
        options={**(post.options if same_platform else {}), **draft.options_for(keep)})
    if action != "save" and post.state != PostState.SCHEDULED:
        step = service.retry if can_retry(post.state) else service.schedule
        step(sess, workspace_id, post_id, actor, schedule_at=when, commit=False)
    added = [_add(sess, workspace_id, actor, post, draft, c, when, live)
             for c in channels if c is not keep]
    if commit:
        sess.commit()
    return [post, *added]


def _when(sess: Session, draft: Draft, action: str, state: str) -> datetime | None:
    if action == "now":
        return service.db_now(sess)
    if draft.schedule_at.strip():
        return service._schedule_time(sess, parse_schedule(draft.schedule_at, draft.timezone),
                                      draft.timezone)
    if action == "schedule" or state == PostState.SCHEDULED:
        raise ValidationFailed("choose a date and time" if action == "schedule" else
                               "a scheduled post needs a date and time; use Unschedule to make "
                               "it a draft", field="schedule_at")
    return None


def _content(post: Post, texts: list[str]) -> dict[str, Any]:
    """The new text or parts; a thread of as many parts as before keeps each part's media."""
    content = compose._text(texts)
    if content["parts"] and post.parts and len(post.parts) == len(content["parts"]):
        for new, old in zip(content["parts"], post.parts, strict=True):
            new["media_ids"] = list(old.get("media_ids") or [])
    return content


def _add(sess: Session, workspace_id: uuid.UUID, actor: str, post: Post, draft: Draft,
         channel: Channel, when: datetime | None, live: bool) -> Post:
    """A post for a channel ticked while editing, in the edited post's group and state."""
    added = service.create_post(
        sess, workspace_id, actor, channel_id=channel.id, group_id=post.group_id,
        **compose._text(draft.content_for(channel.id)), media_ids=draft.media_ids,
        schedule_at=when if live else None, timezone=draft.timezone,
        options=draft.options_for(channel), commit=False)
    if not live and when is not None:
        added.schedule_at = when
    return added


def autosave(sess: Session, workspace_id: uuid.UUID, actor: str, post_id: uuid.UUID,
             version: int | None, draft: Draft) -> Post:
    """The composer's autosave of a draft: Save for the draft and the other drafts of its group
    whose channels are ticked (see save_group). Only drafts: a scheduled or failed post's typing
    stays in the browser until the user saves it."""
    post = service.get_post(sess, workspace_id, post_id)
    if post.state != PostState.DRAFT:
        raise Conflict(f"a {post.state} post is not autosaved; your changes are kept in this "
                       "browser until you save them", field="state")
    save_group(sess, workspace_id, actor, post_id, version, draft, "save")
    sess.refresh(post)
    return post


def save_group(sess: Session, workspace_id: uuid.UUID, actor: str, post_id: uuid.UUID,
               version: int | None, draft: Draft, action: str,
               made: list[str] | None = None) -> list[Post]:
    """`save` for the post and, each for its own channel, the drafts of its group that a ticked
    channel already has (only those of `made` channels when given: the ones autosave made),
    so a channel never gets a second post; a newly ticked channel gets one. One transaction."""
    post = service.get_post(sess, workspace_id, post_id)
    siblings = {c: p for c, p in _sibling_drafts(sess, workspace_id, post).items()
                if c in draft.channel_ids and (made is None or c in made)}
    own = [c for c in draft.channel_ids if c not in siblings]
    saved = save(sess, workspace_id, actor, post_id, version, replace(draft, channel_ids=own),
                 action, commit=False) if own or not siblings else []
    for channel_id, sibling in siblings.items():
        saved += save(sess, workspace_id, actor, sibling.id, None,
                      replace(draft, channel_ids=[channel_id]), action, commit=False)
    sess.commit()
    return saved


def _sibling_drafts(sess: Session, workspace_id: uuid.UUID, post: Post) -> dict[str, Post]:
    """The other drafts of the post's group, by channel id."""
    return {str(p.channel_id): p for p in sess.scalars(
        select(Post).where(Post.workspace_id == workspace_id, Post.group_id == post.group_id,
                           Post.id != post.id, Post.state == PostState.DRAFT))}


def drop_unticked(sess: Session, workspace_id: uuid.UUID, actor: str, post_id: uuid.UUID,
                  made: list[str], chosen: list[str]) -> None:
    """A channel unticked after autosave made its draft: that draft goes (only drafts this
    composer made, never another post of the group)."""
    post = service.get_post(sess, workspace_id, post_id)
    for channel_id, sibling in _sibling_drafts(sess, workspace_id, post).items():
        if channel_id in made and channel_id not in chosen:
            service.delete_post(sess, workspace_id, sibling.id, actor)
