"""Channel use cases: connect (or repair in place), edit, disconnect, delete."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.channels import accounts
from app.channels.models import Channel
from app.config import PLATFORMS
from app.errors import Conflict, NotFound, ValidationFailed
from app.notifications import service as notifications
from app.outbox import service as outbox
from app.timeutil import iso, zone

DEFAULT_PDS = "https://bsky.social"
REQUIRED = {"bluesky": ("handle", "app_password"), "mastodon": ("instance_url", "access_token")}


def channel_json(channel: Channel) -> dict:
    """The read shape: never a credential."""
    return {"id": str(channel.id), "platform": channel.platform, "handle": channel.handle,
            "display_name": channel.display_name, "timezone": channel.timezone,
            "status": channel.status, "status_reason": channel.status_reason,
            "created_at": iso(channel.created_at)}


def get_channel(sess: Session, workspace_id, channel_id, *, lock: bool = False) -> Channel:
    query = sa.select(Channel).where(Channel.id == channel_id,
                                     Channel.workspace_id == workspace_id)
    channel = sess.scalar(query.with_for_update() if lock else query)
    if channel is None:
        raise NotFound("no such channel in this workspace")
    return channel


def list_channels(sess: Session, workspace_id) -> list[Channel]:
    return list(sess.scalars(sa.select(Channel).where(Channel.workspace_id == workspace_id)
                             .order_by(Channel.created_at, Channel.id)))


def split_credentials(platform: str, data: dict) -> tuple[dict, dict, datetime | None]:
    """(credentials, settings, token expiry) from a connect request, or ValidationFailed."""
    if platform not in PLATFORMS:
        raise ValidationFailed(f"platform must be one of {', '.join(PLATFORMS)}",
                               field="platform")
    for field in REQUIRED.get(platform, ("access_token",)):
        if not data.get(field):
            raise ValidationFailed(f"{field} is required for {platform}", field=field)
    if platform == "bluesky":
        return ({"identifier": data["handle"], "app_password": data["app_password"]},
                {"pds_url": (data.get("pds_url") or DEFAULT_PDS).rstrip("/")}, None)
    if platform == "mastodon":
        return ({"access_token": data["access_token"]},
                {"instance_url": data["instance_url"].rstrip("/")}, None)
    creds = {"access_token": data["access_token"]}
    if data.get("refresh_token"):
        creds["refresh_token"] = data["refresh_token"]
    settings = {"account_id": data["account_id"]} if data.get("account_id") else {}
    return creds, settings, data.get("expires_at")


def connect(sess: Session, workspace_id: uuid.UUID, actor: str, *, platform: str,
            handle: str = "", display_name: str = "", timezone: str | None = None,
            credentials: dict, settings: dict, token_expires_at: datetime | None = None,
            reconnect_id=None) -> Channel:
    """Store a connected channel (credentials encrypted), or repair in place the workspace's
    channel of the same account; see connect_or_repair."""
    return connect_or_repair(sess, workspace_id, actor, platform=platform, handle=handle,
                             display_name=display_name, timezone=timezone,
                             credentials=credentials, settings=settings,
                             token_expires_at=token_expires_at, reconnect_id=reconnect_id)[0]


def connect_or_repair(sess: Session, workspace_id: uuid.UUID, actor: str, *, platform: str,
                      reconnect_id=None, **fields) -> tuple[Channel, bool]:
    """(channel, repaired). An account the workspace already has (or the channel a Reconnect
    names) gets the new credentials on its own row, keeping its history and posts; a Reconnect
    that signed in as another account is refused and changes nothing."""
    key = accounts.account_key(platform, fields["settings"])
    existing = accounts.same_account(sess, workspace_id, platform, key)
    if reconnect_id is not None:
        target = get_channel(sess, workspace_id, reconnect_id, lock=True)
        accounts.check_reconnect(target, platform, key, fields.get("handle") or "")
        existing = target
    if existing is None:
        return _insert(sess, workspace_id, actor, platform=platform, **fields), False
    _repair(sess, existing, actor, **fields)
    return existing, True


def _insert(sess: Session, workspace_id, actor: str, *, platform: str, handle: str,
            display_name: str, timezone: str | None, credentials: dict, settings: dict,
            token_expires_at: datetime | None) -> Channel:
    tz_name = timezone or _workspace_timezone(sess, workspace_id)
    zone(tz_name)
    channel = Channel(id=uuid.uuid4(), workspace_id=workspace_id, platform=platform,
                      handle=handle or "", display_name=display_name or handle or "",
                      timezone=tz_name, settings=settings, token_expires_at=token_expires_at,
                      status="connected")
    channel.credentials = credentials
    sess.add(channel)
    sess.flush()
    audit.record(sess, workspace_id, actor, "channel.connected", target_type="channel",
                 target_id=channel.id, after=channel_json(channel))
    sess.commit()
    return channel


def _repair(sess: Session, channel: Channel, actor: str, *, handle: str, display_name: str,
            timezone: str | None, credentials: dict, settings: dict,
            token_expires_at: datetime | None) -> None:
    """New credentials on the same row; the names and zone the workspace chose stay."""
    if timezone:
        zone(timezone)
        channel.timezone = timezone
    before = channel_json(channel)
    channel.credentials = credentials
    channel.settings = {**(channel.settings or {}), **settings}
    channel.handle = handle or channel.handle
    channel.display_name = channel.display_name or display_name or channel.handle
    channel.token_expires_at = token_expires_at
    channel.status, channel.status_reason = "connected", None
    sess.flush()
    audit.record(sess, channel.workspace_id, actor, "channel.reconnected", target_type="channel",
                 target_id=channel.id, before=before, after=channel_json(channel))
    sess.commit()


def overdue_posts(sess: Session, channel: Channel) -> list:
    """Posts that failed because the channel was disconnected when their time came."""
    from app.posts.models import Post

    return list(sess.scalars(sa.select(Post).where(
        Post.channel_id == channel.id, Post.state == "failed",
        Post.error_code == "channel_disconnected").order_by(Post.schedule_at, Post.id)))


def update_channel(sess: Session, workspace_id, channel_id, actor: str, *,
                   timezone: str | None = None, display_name: str | None = None) -> Channel:
    channel = get_channel(sess, workspace_id, channel_id, lock=True)
    before = channel_json(channel)
    if timezone is not None:
        zone(timezone)
        channel.timezone = timezone
    if display_name is not None:
        channel.display_name = display_name
    sess.flush()
    audit.record(sess, workspace_id, actor, "channel.updated", target_type="channel",
                 target_id=channel.id, before=before, after=channel_json(channel))
    sess.commit()
    return channel


def mark_disconnected(sess: Session, channel: Channel, reason: str, actor: str = "system"
                      ) -> None:
    """Flag a channel whose credentials no longer work; the caller commits."""
    if channel.status == "disconnected":
        return
    channel.status, channel.status_reason = "disconnected", reason
    sess.flush()
    audit.record(sess, channel.workspace_id, actor, "channel.disconnected",
                 target_type="channel", target_id=channel.id, after=channel_json(channel))
    outbox.enqueue(sess, channel.workspace_id, "webhook", "channel.disconnected",
                   {"channel": channel_json(channel)})
    notifications.channel_disconnected(sess, channel)


def delete_channel(sess: Session, workspace_id, channel_id, actor: str) -> None:
    from app.posts.lifecycle import LIVE
    from app.posts.models import Post

    channel = get_channel(sess, workspace_id, channel_id, lock=True)
    busy = sess.scalar(sa.select(sa.func.count()).select_from(Post).where(
        Post.channel_id == channel.id, Post.state.in_(LIVE)))
    if busy:
        raise Conflict(f"{busy} post(s) are scheduled or publishing on this channel; "
                       "cancel or move them first", field="channel_id")
    audit.record(sess, workspace_id, actor, "channel.deleted", target_type="channel",
                 target_id=channel.id, before=channel_json(channel))
    sess.delete(channel)
    sess.commit()


def _workspace_timezone(sess: Session, workspace_id) -> str:
    from app.auth.models import Workspace

    return sess.scalar(sa.select(Workspace.timezone).where(Workspace.id == workspace_id)) or "UTC"
