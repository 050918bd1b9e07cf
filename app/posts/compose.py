"""Composing once for several channels: one post per channel sharing a group id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from app.channels.compose_options import check_options
from app.channels.models import Channel
from app.channels.preview import preview_for
from app.errors import NotFound, ValidationFailed
from app.platforms import text as text_rules
from app.platforms.registry import display_name
from app.platforms.tiktok import creator as tiktok_creator
from app.platforms.tiktok import options as tiktok_options
from app.posts import service
from app.posts.models import Post
from app.timeutil import parse_schedule, to_local, zone

if TYPE_CHECKING:
    from app.media.models import Media

ACTIONS = ("draft", "schedule", "now")


@dataclass
class Draft:
    """What the composer form holds: shared parts, per-channel override texts (a thread when
    several), the time."""

    channel_ids: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=lambda: [""])
    overrides: dict[str, list[str]] = field(default_factory=dict)
    schedule_at: str = ""
    timezone: str = "UTC"
    media_ids: list[str] = field(default_factory=list)  # on the post (the first part)
    alt_texts: dict[str, str] = field(default_factory=dict)
    # The option fields of each channel, as the form sent them: {channel id: {name: value}}.
    options: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def has_overrides(self) -> bool:
        return any(t.strip() for texts in self.overrides.values() for t in texts)

    def content_for(self, channel_id: uuid.UUID | str) -> list[str]:
        override = [t for t in self.overrides.get(str(channel_id)) or [] if t.strip()]
        return override or self.parts

    def options_for(self, channel: Channel) -> dict[str, Any]:
        """The post options of a channel's post (only TikTok has fields in the composer). A
        thread is what the user made of the parts: the publisher never splits a text itself."""
        if channel.platform == "tiktok":
            return tiktok_options.from_form(self.options.get(str(channel.id)) or {})
        return {"auto_thread": False} if has_threads(channel) else {}


def has_threads(channel: Channel) -> bool:
    """The platform publishes a thread of several posts (its rules.py says so)."""
    return text_rules.rules_for(channel.platform, channel.settings or {}).threads


@dataclass
class Preview:
    """One channel's card: its parts as counted, a thread it could be split into (only when
    one text is over the limit of a platform that has threads), the time in its zone."""

    channel: Channel
    parts: list[dict[str, Any]]
    proposal: list[str] | None = None
    local_time: object = None
    threads: bool = False


def start_conversions(sess: Session, workspace_id: uuid.UUID, draft: Draft) -> None:
    """Files chosen for some channels: queue the renditions those platforms need."""
    from app.media.conversions import start

    start(sess, workspace_id, draft.media_ids,
          [c.platform for c in chosen_channels(sess, workspace_id, draft)])
    sess.commit()


def panels(sess: Session, workspace_id: uuid.UUID, draft: Draft, channels: list[Channel], fresh: bool
           ) -> list[tiktok_options.Panel]:
    """The options of each chosen TikTok channel; `fresh` asks creator_info now."""
    from app.media.conversions import chosen_media

    tiktok = [c for c in channels if c.platform == "tiktok"]
    media = chosen_media(sess, workspace_id, draft.media_ids) if tiktok else []
    shown = []
    for channel in tiktok:
        settings = channel.settings or {}
        info, problem = tiktok_creator.creator_info(sess, channel) if fresh else (
            settings.get("creator_info")
            or {"privacy_level_options": settings.get("privacy_level_options") or []}, None)
        shown.append(tiktok_options.Panel(channel, info, problem,
                                          draft.options.get(str(channel.id)) or {}, media))
    return shown


def chosen_channels(sess: Session, workspace_id: uuid.UUID, draft: Draft) -> list[Channel]:
    """The workspace's channels the draft names (others are ignored, as in the previews)."""
    from app.channels.service import list_channels

    return [c for c in list_channels(sess, workspace_id) if str(c.id) in draft.channel_ids]


def previews(channels: list[Channel], draft: Draft) -> list[Preview]:
    when = _moment(draft)
    shown = []
    for c in channels:
        content = draft.content_for(c.id)
        parts = preview_for(c, content, {"auto_thread": False})
        proposal = None
        if len(parts) == 1 and not parts[0]["ok"] and parts[0]["count"] and has_threads(c):
            proposal = text_rules.split(text_rules.rules_for(c.platform, c.settings or {}),
                                        content[0])
        shown.append(Preview(c, parts, proposal if proposal and len(proposal) > 1 else None,
                             to_local(when, c.timezone) if when else None, has_threads(c)))
    return shown


def _moment(draft: Draft) -> datetime | None:
    """The composer's time as a moment, or None while it is empty or not yet a valid time."""
    if not draft.schedule_at.strip():
        return None
    try:
        return parse_schedule(draft.schedule_at, draft.timezone)
    except ValidationFailed:
        return None


def split_thread(sess: Session, workspace_id: uuid.UUID, draft: Draft, channel_id: str) -> None:
    """The user asked to split the text one channel gets into a thread by that platform's
    rules: its own text when it has one, else the shared text (then every channel gets it)."""
    channel = next((c for c in chosen_channels(sess, workspace_id, draft)
                    if str(c.id) == channel_id), None)
    if channel is None or not has_threads(channel):
        raise ValidationFailed("only a chosen channel whose platform has threads can get one",
                               field="form")
    content = draft.content_for(channel.id)
    parts = text_rules.split(text_rules.rules_for(channel.platform, channel.settings or {}),
                             "\n\n".join(content))
    if content is draft.parts:
        draft.parts = parts
    else:
        draft.overrides[channel_id] = parts


def _chosen(sess: Session, workspace_id: uuid.UUID, draft: Draft) -> list[Channel]:
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


def _check(sess: Session, workspace_id: uuid.UUID, draft: Draft, channel: Channel,
           when: datetime | None) -> None:
    """Everything create_post would refuse, checked for every channel before any is written;
    an option's error goes beside that channel's field."""
    content = draft.content_for(channel.id)
    for i, text in enumerate(content):
        if not text.strip():
            raise ValidationFailed(f"part {i + 1} is empty" if len(content) > 1
                                   else "write something first", field=_field_of(draft, channel, i))
    try:
        check_options(channel.platform, channel.settings or {}, draft.options_for(channel))
        if when is not None:
            _check_publishing(sess, draft, channel, content)
    except ValidationFailed as exc:
        if exc.field and exc.field.startswith("options."):
            raise ValidationFailed(exc.message, field=f"opt-{channel.id}-{exc.field[8:]}") from exc
        if exc.field in ("media_ids", "text", "parts"):
            raise ValidationFailed(f"{channel.platform} {channel.handle}: {exc.message}",
                                   field="media_id" if exc.field == "media_ids" else "form") \
                from exc
        raise


def _check_publishing(sess: Session, draft: Draft, channel: Channel, content: list[str]) -> None:
    if channel.status != "connected":
        raise ValidationFailed(f"{channel.platform} {channel.handle} is disconnected; reconnect it "
                               "or leave it out", field="channel_id")
    name = display_name(channel.platform)
    for i, part in enumerate(preview_for(channel, content, {"auto_thread": False})):
        if not part["ok"]:
            what = f"part {i + 1}" if len(content) > 1 else "the text"
            detail = f"{name} counts {what} as {part['count']} {part['unit']}; the limit is " \
                     f"{part['limit']}"
            if part["count"] <= part["limit"] and part.get("links", 0) > part.get("max_links", 0):
                detail = f"{what} has {part['links']} different links; {name} takes at most " \
                         f"{part['max_links']} a post"
            hint = "split it into a thread or shorten it" if has_threads(channel) and \
                len(content) == 1 else "shorten it"
            raise ValidationFailed(f"{detail} ({hint})", field=_field_of(draft, channel, i))
    trial = Post(workspace_id=channel.workspace_id, channel_id=channel.id, **_text(content),
                 media_ids=list(draft.media_ids), options=draft.options_for(channel))
    service.check_publishable(sess, channel, trial)


def _text(content: list[str]) -> dict[str, Any]:
    """One text, or a thread's parts (the post-level media go on the first part)."""
    content = [t.strip() for t in content]
    if len(content) == 1:
        return {"text": content[0], "parts": None}
    return {"text": None, "parts": [{"text": t, "media_ids": []} for t in content]}


def create_group(sess: Session, workspace_id: uuid.UUID, actor: str, draft: Draft, action: str
                 ) -> list[Post]:
    """Drafts, scheduled posts, or posts due now: one per chosen channel, all or none refused."""
    if action not in ACTIONS:
        raise ValidationFailed("choose save as draft, schedule or publish now", field="action")
    channels = _chosen(sess, workspace_id, draft)
    zone(draft.timezone)
    # A time typed for a draft is kept as its planned time: it goes out only once scheduled.
    planned = service._schedule_time(sess, parse_schedule(draft.schedule_at, draft.timezone),
                                     draft.timezone) \
        if draft.schedule_at.strip() and action != "now" else None
    when = None
    if action == "schedule":
        if planned is None:
            raise ValidationFailed("choose a date and time", field="schedule_at")
        when = planned
    elif action == "now":
        when = service.db_now(sess)
    media = _own_media(sess, workspace_id, draft)
    for channel in channels:
        _check(sess, workspace_id, draft, channel, when)
    _describe_media(sess, workspace_id, actor, draft, media)
    group_id = uuid.uuid4()
    posts = [service.create_post(sess, workspace_id, actor, channel_id=channel.id,
                                 group_id=group_id, **_text(draft.content_for(channel.id)),
                                 media_ids=draft.media_ids, schedule_at=when,
                                 timezone=draft.timezone, options=draft.options_for(channel),
                                 commit=False)
             for channel in channels]
    for post in posts if when is None else []:
        post.schedule_at = planned
    sess.commit()
    return posts


def _own_media(sess: Session, workspace_id: uuid.UUID, draft: Draft) -> list[Media]:
    """The chosen files, all of this workspace, or ValidationFailed."""
    from app.media.service import get_media

    try:
        return [get_media(sess, workspace_id, uuid.UUID(m)) for m in draft.media_ids]
    except (ValueError, NotFound) as exc:
        raise ValidationFailed("no such media in this workspace", field="media_id") from exc


def _describe_media(sess: Session, workspace_id: uuid.UUID, actor: str, draft: Draft,
                    media: list[Media]) -> None:
    """Alt texts edited in the composer are saved on the chosen files before posting."""
    from app.media.service import set_alt_text

    for item in media:
        alt = draft.alt_texts.get(str(item.id))
        if alt is not None and alt != item.alt_text:
            set_alt_text(sess, workspace_id, item.id, actor, alt)


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
