"""Notifications for the people of a workspace, with an email for owners and admins."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import Membership, User
from app.notifications.models import Notification
from app.outbox import service as outbox


def notify(sess: Session, workspace_id: uuid.UUID, kind: str, title: str, body: str = "", *,
           post_id: uuid.UUID | None = None, channel_id: uuid.UUID | None = None,
           email: bool = False) -> None:
    """One notification per member; with `email`, one outbox email to owners and admins."""
    members = sess.execute(
        sa.select(Membership.user_id, Membership.role, User.email)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id)).all()
    for user_id, _role, _email in members:
        sess.add(Notification(workspace_id=workspace_id, user_id=user_id, kind=kind,
                              title=title, body=body, post_id=post_id, channel_id=channel_id))
    recipients = sorted(e for _u, role, e in members if role in ("owner", "admin"))
    if email and recipients:
        outbox.enqueue(sess, workspace_id, "email", kind, {
            "to": recipients, "title": title, "body": body,
            "post_id": str(post_id) if post_id else None,
            "channel_id": str(channel_id) if channel_id else None})


def post_failed(sess: Session, post) -> None:
    notify(sess, post.workspace_id, "post_failed", "A post failed to publish",
           f"{post.error_code}: {post.error_message}", post_id=post.id,
           channel_id=post.channel_id, email=True)


def channel_disconnected(sess: Session, channel) -> None:
    notify(sess, channel.workspace_id, "channel_disconnected",
           f"{channel.platform} channel {channel.handle or channel.display_name} disconnected",
           channel.status_reason or "", channel_id=channel.id, email=True)


def unread_count(sess: Session, workspace_id: uuid.UUID, user_id: uuid.UUID) -> int:
    return sess.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.workspace_id == workspace_id, Notification.user_id == user_id,
        Notification.read_at.is_(None))) or 0


def notification_json(note: Notification) -> dict:
    from app.timeutil import iso

    return {"id": str(note.id), "kind": note.kind, "title": note.title, "body": note.body,
            "post_id": str(note.post_id) if note.post_id else None,
            "channel_id": str(note.channel_id) if note.channel_id else None,
            "read": note.read_at is not None, "created_at": iso(note.created_at)}


def list_for_user(sess: Session, workspace_id: uuid.UUID, user_id: uuid.UUID, *,
                  unread: bool = False, after=None, limit: int = 50) -> list[Notification]:
    """Newest first; `after` is the (created_at, id) of the previous page's last row."""
    query = sa.select(Notification).where(Notification.workspace_id == workspace_id,
                                          Notification.user_id == user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if after:
        query = query.where(sa.tuple_(Notification.created_at, Notification.id)
                            < sa.tuple_(*after))
    return list(sess.scalars(query.order_by(Notification.created_at.desc(),
                                            Notification.id.desc()).limit(limit)))


def mark_read(sess: Session, workspace_id: uuid.UUID, user_id: uuid.UUID,
              notification_id: uuid.UUID | None = None) -> int:
    """Mark one notification (or, without an id, all of them) read; returns how many changed."""
    from app.errors import NotFound

    where = [Notification.workspace_id == workspace_id, Notification.user_id == user_id]
    if notification_id is not None:
        where.append(Notification.id == notification_id)
        if sess.scalar(sa.select(Notification.id).where(*where)) is None:
            raise NotFound("no such notification")
    changed = sess.execute(sa.update(Notification).where(*where, Notification.read_at.is_(None))
                           .values(read_at=sa.func.now())).rowcount
    sess.commit()
    return changed
