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


def list_notifications(sess: Session, workspace_id, user_id, limit: int = 100) -> list:
    """This person's notifications in this workspace, newest first."""
    return list(sess.scalars(sa.select(Notification).where(
        Notification.workspace_id == workspace_id, Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id).limit(limit)))


def mark_read(sess: Session, workspace_id, user_id, notification_id) -> None:
    """Only the owner of a notification can mark it; anyone else's id is not found."""
    from app.errors import NotFound

    found = sess.execute(sa.update(Notification).where(
        Notification.id == notification_id, Notification.workspace_id == workspace_id,
        Notification.user_id == user_id).values(
        read_at=sa.func.coalesce(Notification.read_at, sa.func.now()))).rowcount
    if not found:
        sess.rollback()
        raise NotFound("no such notification")
    sess.commit()


def mark_all_read(sess: Session, workspace_id, user_id) -> None:
    sess.execute(sa.update(Notification).where(
        Notification.workspace_id == workspace_id, Notification.user_id == user_id,
        Notification.read_at.is_(None)).values(read_at=sa.func.now()))
    sess.commit()
