"""Posts (one per channel) and their event history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base

STATES = ("draft", "scheduled", "publishing", "published", "failed", "canceled")
ERROR_CODES = ("channel_disconnected", "rate_limited", "platform_error", "validation_error",
               "media_error", "network_error", "outcome_unknown")


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    channel_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("channels.id",
                                                                ondelete="CASCADE"))
    group_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4, index=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="draft")
    schedule_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # Content: `text` as written, or explicit `parts` [{"text", "media_ids"}] for a thread.
    text: Mapped[str | None] = mapped_column(sa.Text)
    parts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    media_ids: Mapped[list[str]] = mapped_column(JSONB, default=list)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # Outcome: per-part results [{"index", "provider_post_id", "live_url", ...}] let a thread
    # resume after the last published part.
    live_url: Mapped[str | None] = mapped_column(sa.Text)
    provider_post_id: Mapped[str | None] = mapped_column(sa.String(255))
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # Publishing bookkeeping.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(sa.String(255))
    claim_token: Mapped[uuid.UUID | None] = mapped_column()
    lease_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64))
    error_code: Mapped[str | None] = mapped_column(sa.String(32))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now(),
                                                 onupdate=sa.func.now())
    version: Mapped[int] = mapped_column(default=1)

    events: Mapped[list[PostEvent]] = relationship(
        back_populates="post", order_by="PostEvent.id", lazy="raise_on_sql",
        cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(f"state IN {STATES}", name="ck_posts_state"),
        sa.CheckConstraint(f"error_code IS NULL OR error_code IN {ERROR_CODES}",
                           name="ck_posts_error_code"),
        sa.CheckConstraint("state <> 'scheduled' OR schedule_at IS NOT NULL",
                           name="ck_posts_scheduled_has_time"),
        sa.CheckConstraint("text IS NOT NULL OR parts IS NOT NULL", name="ck_posts_content"),
        # The claim's three sources, each a partial index (docs/architecture.md, Claim, lease and fencing).
        sa.Index("ix_posts_due", "schedule_at", postgresql_where=sa.text("state = 'scheduled'")),
        sa.Index("ix_posts_lease", "lease_until",
                 postgresql_where=sa.text("state = 'publishing' AND lease_until IS NOT NULL")),
        sa.Index("ix_posts_retry", "next_attempt_at",
                 postgresql_where=sa.text("state = 'publishing' AND lease_until IS NULL")),
        # Listing and the calendar.
        sa.Index("ix_posts_ws_schedule", "workspace_id", "schedule_at"),
        sa.Index("ix_posts_ws_state", "workspace_id", "state", "created_at"),
        sa.Index("ix_posts_channel", "channel_id", "state"),
    )


class PostEvent(Base):
    __tablename__ = "post_events"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=True)
    post_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"),
                                               index=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16))
    actor: Mapped[str] = mapped_column(sa.String(80))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())

    post: Mapped[Post] = relationship(back_populates="events")
