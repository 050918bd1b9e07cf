"""Composing once for several channels: one post per channel sharing a group id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.channels.models import Channel
from app.channels.preview import preview_for
from app.errors import NotFound, ValidationFailed
from app.posts import service
from app.posts.models import Post
from app.timeutil import parse_schedule, zone

ACTIONS = ("draft", "schedule", "now")


@dataclass
class Draft:
    """What the composer form holds: shared parts, per-channel override texts, the time."""

    channel_ids: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=lambda: [""])
    overrides: dict[str, str] = field(default_factory=dict)
    schedule_at: str = ""
    timezone: str = "UTC"
    media_ids: list[str] = field(default_factory=list)  # on the post (the first part)
    alt_texts: dict[str, str] = field(default_factory=dict)

    def content_for(self, channel_id) -> list[str]:
        override = (self.overrides.get(str(channel_id)) or "").strip()
        return [override] if override else self.parts


def previews(channels: list[Channel], draft: Draft) -> list[tuple[Channel, list[dict]]]:
    return [(c, preview_for(c, draft.content_for(c.id), {})) for c in channels]


def _chosen(sess: Session, workspace_id, draft: Draft) -> list[Channel]:
    if not draft.channel_ids:
        raise ValidationFailed("choose at least one channel", field="channel_id")
    chosen = []
    for raw in dict.fromkeys(draft.channel_ids):
        try:
            chosen.append(service.channel_in_workspace(sess, workspace_id, uuid.UUID(raw)))
        except ValueError as exc:
            raise ValidationFailed("no such channel in this workspace", field="channel_id") from exc
    return chosen


def _field_of(draft: Draft, channel: Channel, index: int) -> str:
    return f"override-{channel.id}" if draft.content_for(channel.id) is not draft.parts \
        else f"parts[{index}].text"


def _check(sess: Session, workspace_id, draft: Draft, channel: Channel, publishing: bool) -> None:
    """Everything create_post would refuse, checked for every channel before any is written."""
    content = draft.content_for(channel.id)
    for i, text in enumerate(content):
        if not text.strip():
            raise ValidationFailed(f"part {i + 1} is empty" if len(content) > 1
                                   else "write something first", field=_field_of(draft, channel, i))
    if not publishing:
        return
    if channel.status != "connected":
        raise ValidationFailed(f"{channel.platform} {channel.handle} is disconnected; reconnect it "
                               "or leave it out", field="channel_id")
    for i, part in enumerate(preview_for(channel, content, {})):
        if not part["ok"]:
            raise ValidationFailed(
                f"{channel.platform}: {'part ' + str(i + 1) + ' has' if len(content) > 1 else 'has'} "
                f"{part['count']} characters; the limit is {part['limit']} (split it into a thread "
                "or shorten it)", field=_field_of(draft, channel, i))


def create_group(sess: Session, workspace_id, actor: str, draft: Draft, action: str) -> list[Post]:
    """Drafts, scheduled posts, or posts due now: one per chosen channel, all or none refused."""
    if action not in ACTIONS:
        raise ValidationFailed("choose save as draft, schedule or publish now", field="action")
    channels = _chosen(sess, workspace_id, draft)
    zone(draft.timezone)
    when = None
    if action == "schedule":
        if not draft.schedule_at.strip():
            raise ValidationFailed("choose a date and time", field="schedule_at")
        when = service._schedule_time(sess, parse_schedule(draft.schedule_at, draft.timezone),
                                      draft.timezone)
    elif action == "now":
        when = service.db_now(sess)
    for channel in channels:
        _check(sess, workspace_id, draft, channel, publishing=when is not None)
    _describe_media(sess, workspace_id, actor, draft)
    group_id = uuid.uuid4()
    posts = []
    for channel in channels:
        content = [t.strip() for t in draft.content_for(channel.id)]
        single = len(content) == 1
        posts.append(service.create_post(
            sess, workspace_id, actor, channel_id=channel.id, group_id=group_id,
            text=content[0] if single else None,
            parts=None if single else [{"text": t, "media_ids": []} for t in content],
            media_ids=draft.media_ids, schedule_at=when, timezone=draft.timezone))
    return posts


def _describe_media(sess: Session, workspace_id, actor: str, draft: Draft) -> None:
    """Alt texts edited in the composer are saved on the chosen files before posting."""
    from app.media.service import get_media, set_alt_text

    for media_id in draft.media_ids:
        try:
            media = get_media(sess, workspace_id, uuid.UUID(media_id))
        except (ValueError, NotFound) as exc:
            raise ValidationFailed("no such media in this workspace", field="media_id") from exc
        alt = draft.alt_texts.get(media_id)
        if alt is not None and alt != media.alt_text:
            set_alt_text(sess, workspace_id, media.id, actor, alt)


def edit_parts(parts: list[str], op: str) -> list[str]:
    """The thread editor's operations: add, remove-N, up-N, down-N (N counts from 0)."""
    parts = list(parts) or [""]
    name, _, index = op.partition("-")
    if name == "add":
        return parts + [""]
    try:
        i = int(index)
    except ValueError as exc:
        raise ValidationFailed(f"unknown editor operation {op!r}", field="op") from exc
    if not 0 <= i < len(parts):
        raise ValidationFailed(f"there is no part {i + 1}", field="op")
    if name == "remove":
        return (parts[:i] + parts[i + 1:]) or [""]
    if name == "up" and i > 0:
        parts[i - 1], parts[i] = parts[i], parts[i - 1]
    elif name == "down" and i < len(parts) - 1:
        parts[i + 1], parts[i] = parts[i], parts[i + 1]
    elif name not in ("up", "down"):
        raise ValidationFailed(f"unknown editor operation {op!r}", field="op")
    return parts
