"""ops: alarm state (one alert per incident across processes)

Revision ID: 0006_ops
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_ops"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_alarms",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("alarming", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recovered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    # Old rate-limit windows are swept by age.
    op.create_index("ix_rate_limits_window", "rate_limits", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_rate_limits_window", table_name="rate_limits")
    op.drop_table("ops_alarms")
