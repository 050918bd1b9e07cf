"""analytics: the time series of post figures and the measurements still due

Revision ID: 0012_analytics_metrics
Revises: 0011_sched_job_store
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012_analytics_metrics"
down_revision = "0011_sched_job_store"
branch_labels = None
depends_on = None


def _owners() -> list:
    return [
        sa.Column("workspace_id", sa.Uuid, sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("post_id", sa.Uuid, sa.ForeignKey("posts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("channel_id", sa.Uuid, sa.ForeignKey("channels.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("stage", sa.String(8), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "post_metrics",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        *_owners(),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("metrics", JSONB, nullable=False, server_default="{}"),
        sa.Column("detail", sa.Text),
        sa.CheckConstraint("status IN ('ok', 'not_available', 'deleted', 'unreachable', "
                           "'needs_scope')", name="ck_post_metrics_status"),
        sa.CheckConstraint("stage IN ('1h', '24h', '7d', '30d', 'manual')",
                           name="ck_post_metrics_stage"),
    )
    op.create_index("ix_post_metrics_post", "post_metrics", ["post_id", "measured_at"])
    op.create_index("ix_post_metrics_ws_channel", "post_metrics",
                    ["workspace_id", "channel_id", "measured_at"])
    op.create_table(
        "metric_schedule",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        *_owners(),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("held_until", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("post_id", "stage", name="uq_metric_schedule_post_stage"),
    )
    op.create_index("ix_metric_schedule_due", "metric_schedule", ["due_at"])


def downgrade() -> None:
    op.drop_table("metric_schedule")
    op.drop_table("post_metrics")
