"""members: browser sessions of their own, invite links and password reset links

Sign-out ends one browser's session (a row here), not every session of the user, so the
per-user session version goes. Invite and reset links keep only their token's SHA-256.

Revision ID: 0009_members
Revises: 0008_merge_heads
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_members"
down_revision = "0008_merge_heads"
branch_labels = None
depends_on = None


def _stamp(name: str, **kw) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        _stamp("created_at", server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_table(
        "invites",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("workspace_id", sa.Uuid(),
                  sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        _stamp("created_at", server_default=sa.func.now(), nullable=False),
        _stamp("expires_at", nullable=False),
        _stamp("accepted_at"),
        _stamp("revoked_at"),
        sa.CheckConstraint("role IN ('owner', 'admin', 'member')", name="ck_invites_role"),
    )
    op.create_index("ix_invites_workspace_id", "invites", ["workspace_id"])
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("workspace_id", sa.Uuid(),
                  sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        _stamp("created_at", server_default=sa.func.now(), nullable=False),
        _stamp("expires_at", nullable=False),
        _stamp("used_at"),
    )
    op.create_index("ix_password_resets_workspace_id", "password_resets", ["workspace_id"])
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])
    op.drop_column("users", "session_version")


def downgrade() -> None:
    op.add_column("users", sa.Column("session_version", sa.Integer(), nullable=False,
                                     server_default="1"))
    op.drop_table("password_resets")
    op.drop_table("invites")
    op.drop_table("user_sessions")
