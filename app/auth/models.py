"""Workspaces, users, memberships, browser sessions, invites, reset links and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base

ROLES = ("owner", "admin", "member")


def _uuid() -> uuid.UUID:
    return uuid.uuid4()


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user",
                                                         lazy="selectin")

    __table_args__ = (sa.Index("uq_users_email_lower", sa.func.lower(email), unique=True),)

    # flask-login protocol
    is_active = True
    is_authenticated = True
    is_anonymous = False
    # The browser session's token (set by app/auth/sessions.py), what flask-login keeps.
    session_token = None

    def get_id(self) -> str | None:
        return self.session_token


class Membership(Base):
    __tablename__ = "memberships"

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                               primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(sa.String(16), default="member")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())

    user: Mapped[User] = relationship(back_populates="memberships")
    workspace: Mapped[Workspace] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES}", name="ck_memberships_role"),)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    prefix: Mapped[str] = mapped_column(sa.String(16))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class UserSession(Base):
    """One signed-in browser: the cookie holds a random token, this row only its SHA-256."""
    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    # Touched at most once per TOUCH_EVERY (app/auth/sessions.py), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                   server_default=sa.func.now())


class Invite(Base):
    """A single-use, expiring link to join a workspace; only the token's SHA-256 is kept."""
    __tablename__ = "invites"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    workspace: Mapped[Workspace] = relationship()

    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES}", name="ck_invites_role"),)


class PasswordReset(Base):
    """A single-use, expiring link an owner issued for a member; only the token's SHA-256."""
    __tablename__ = "password_resets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=_uuid)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
