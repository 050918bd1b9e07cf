"""In-app notifications: one row per recipient, so each person has their own unread count."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    post_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("posts.id", ondelete="SET NULL"))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("channels.id", ondelete="SET NULL"))
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The wall clock, not the transaction's start: several notifications made in one
    # transaction still list in the order they were made.
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.clock_timestamp())

    __table_args__ = (
        sa.Index("ix_notifications_user", "user_id", "workspace_id", "created_at"),
        sa.Index("ix_notifications_unread", "user_id", "workspace_id",
                 postgresql_where=sa.text("read_at IS NULL")),
    )
