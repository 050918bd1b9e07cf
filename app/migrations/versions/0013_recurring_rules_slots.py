"""recurring posts and posting slots

`recurring_rules` holds a post template and its cron-like rule (APScheduler CronTrigger fields,
read in the rule's IANA time zone); each rule also has a job `recurring:<id>` in the job store
(scheduler_jobs) that materializes its occurrences ahead of time. `recurring_occurrences` ties
each materialized post to its rule and occurrence time: its unique key (rule, occurrence time,
channel) is what makes materializing idempotent. `posting_slots` are a channel's weekly times.

Revision ID: 0013_recurring_rules_slots
Revises: 0012_analytics_metrics
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0013_recurring_rules_slots"
down_revision = "0012_analytics_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recurring_rules",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("workspace_id", UUID(as_uuid=True),
                  sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("channel_ids", JSONB, nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("parts", JSONB),
        sa.Column("media_ids", JSONB, nullable=False, server_default="[]"),
        sa.Column("options", JSONB, nullable=False, server_default="{}"),
        sa.Column("overrides", JSONB, nullable=False, server_default="{}"),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("cron", JSONB, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True)),
        sa.Column("count", sa.Integer),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_by", sa.String(80)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("text IS NOT NULL OR parts IS NOT NULL",
                           name="ck_recurring_rules_content"),
        sa.CheckConstraint("count IS NULL OR count > 0", name="ck_recurring_rules_count"))
    op.create_table(
        "recurring_occurrences",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("rule_id", UUID(as_uuid=True),
                  sa.ForeignKey("recurring_rules.id", ondelete="CASCADE"), nullable=False),
        sa.Column("occurs_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel_id", UUID(as_uuid=True), nullable=False),
        sa.Column("post_id", UUID(as_uuid=True), sa.ForeignKey("posts.id", ondelete="SET NULL"),
                  unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.UniqueConstraint("rule_id", "occurs_at", "channel_id",
                            name="uq_recurring_occurrences_once"))
    op.create_table(
        "posting_slots",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("workspace_id", UUID(as_uuid=True),
                  sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel_id", UUID(as_uuid=True),
                  sa.ForeignKey("channels.id", ondelete="CASCADE"), nullable=False),
        sa.Column("weekday", sa.SmallInteger, nullable=False),  # 0 Monday .. 6 Sunday
        sa.Column("time", sa.Time, nullable=False),  # wall time in the channel's zone
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_posting_slots_weekday"),
        sa.UniqueConstraint("channel_id", "weekday", "time", name="uq_posting_slots_once"))


def downgrade() -> None:
    op.drop_table("posting_slots")
    op.drop_table("recurring_occurrences")
    op.drop_table("recurring_rules")
