"""The time series of a post's figures, and the measurements still due.

`post_metrics`: one row per post per measurement. `metrics` holds only what the platform
reported: a metric that is absent was not available (never 0). `status` says what the
measurement found: ok, not_available (the platform gives no figures for this post; for a
LinkedIn personal profile, `detail` says LinkedIn gives them to approved partners only),
deleted, unreachable (stopped after repeated failures), needs_scope (the connection lacks the
permission; reconnecting asks for it).

`metric_schedule`: the measurements still to take, one row per post and stage, made when the
post is published (+1 h, +24 h, +7 d, +30 d); taken rows are deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

STAGES = ("1h", "24h", "7d", "30d")
STATUSES = ("ok", "not_available", "deleted", "unreachable", "needs_scope")


class _OfPost:
    """Whose measurement: the post, its channel and workspace, and the stage."""

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    post_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    channel_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("channels.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(sa.String(8))


class PostMetric(_OfPost, Base):
    __tablename__ = "post_metrics"

    measured_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(sa.String(16))
    metrics: Mapped[dict] = mapped_column(JSONB, default=dict)
    detail: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("status IN ('ok', 'not_available', 'deleted', 'unreachable', "
                           "'needs_scope')", name="ck_post_metrics_status"),
        sa.CheckConstraint("stage IN ('1h', '24h', '7d', '30d', 'manual')",
                           name="ck_post_metrics_stage"),
        sa.Index("ix_post_metrics_post", "post_id", "measured_at"),
        sa.Index("ix_post_metrics_ws_channel", "workspace_id", "channel_id", "measured_at"),
    )


class MetricDue(_OfPost, Base):
    __tablename__ = "metric_schedule"

    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0)
    # A collector holds the row until then (a collector that died leaves it to the next).
    held_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.UniqueConstraint("post_id", "stage", name="uq_metric_schedule_post_stage"),
        sa.Index("ix_metric_schedule_due", "due_at"),
    )
