"""Recurring rules, their materialized occurrences, and posting slots (migration 0013)."""

from __future__ import annotations

import uuid
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class RecurringRule(Base):
    __tablename__ = "recurring_rules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    channel_ids: Mapped[list] = mapped_column(JSONB)           # [str(uuid)]
    text: Mapped[str | None] = mapped_column(sa.Text)
    parts: Mapped[list | None] = mapped_column(JSONB)
    media_ids: Mapped[list] = mapped_column(JSONB, default=list)
    options: Mapped[dict] = mapped_column(JSONB, default=dict)    # {channel id: options}
    overrides: Mapped[dict] = mapped_column(JSONB, default=dict)  # {channel id: text}
    timezone: Mapped[str] = mapped_column(sa.String(64))
    cron: Mapped[dict] = mapped_column(JSONB)                     # CronTrigger fields
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    count: Mapped[int | None] = mapped_column()
    # Occurrences before this are never materialized (set on creation, edit and resume).
    not_before: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    paused: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now(),
                                                 onupdate=sa.func.now())


class RuleOccurrence(Base):
    __tablename__ = "recurring_occurrences"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("recurring_rules.id", ondelete="CASCADE"))
    occurs_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    channel_id: Mapped[uuid.UUID] = mapped_column()
    post_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("posts.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())

    __table_args__ = (sa.UniqueConstraint("rule_id", "occurs_at", "channel_id",
                                          name="uq_recurring_occurrences_once"),)


class PostingSlot(Base):
    __tablename__ = "posting_slots"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    channel_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("channels.id",
                                                                ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(sa.SmallInteger)  # 0 Monday .. 6 Sunday
    time: Mapped[time] = mapped_column(sa.Time)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())

    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_posting_slots_weekday"),
        sa.UniqueConstraint("channel_id", "weekday", "time", name="uq_posting_slots_once"),
    )
