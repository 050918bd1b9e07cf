"""session lifetime: when each browser session was last used

A session ends after OPENPOST_SESSION_IDLE_DAYS without use or OPENPOST_SESSION_MAX_DAYS after
sign-in; the retention sweep removes the rows of ended sessions.

Revision ID: 0010_session_lifetime
Revises: 0009_members
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_session_lifetime"
down_revision = "0009_members"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("user_sessions", sa.Column("last_seen_at", sa.DateTime(timezone=True),
                                             server_default=sa.func.now(), nullable=False))


def downgrade() -> None:
    op.drop_column("user_sessions", "last_seen_at")
