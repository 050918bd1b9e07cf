"""Operational state shared by processes: worker heartbeats, rate-limit buckets, idempotency."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class WorkerHeartbeat(Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int] = mapped_column()
    version: Mapped[str] = mapped_column(sa.String(32))
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    last_tick_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                   server_default=sa.func.now())
    posts_claimed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    in_flight: Mapped[int] = mapped_column(default=0)
    stopped_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class RateLimitBucket(Base):
    """Fixed-window counters kept in PostgreSQL so limits hold across processes."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.Index("ix_rate_limits_window", "window_start"),)


class IdempotentRequest(Base):
    """A POST answered once per (workspace, Idempotency-Key): a retry gets the same answer."""

    __tablename__ = "idempotent_requests"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int | None] = mapped_column()
    response: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())


class AlarmState(Base):
    """The last known state of an alarm, so each incident alerts once across all processes."""

    __tablename__ = "ops_alarms"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    alarming: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    since: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    alerted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    recovered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    checked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
