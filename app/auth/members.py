"""Workspace members and API key listings for the settings pages."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth import service
from app.auth.models import ApiKey, Membership, User, Workspace
from app.errors import Forbidden, ValidationFailed

ADDABLE_ROLES = ("admin", "member")


def list_members(sess: Session, workspace_id) -> list[tuple[User, str]]:
    rows = sess.execute(sa.select(User, Membership.role).join(
        Membership, Membership.user_id == User.id).where(Membership.workspace_id == workspace_id)
        .order_by(Membership.created_at, User.email))
    return [(user, role) for user, role in rows]


def add_member(sess: Session, workspace_id, adder_role: str, *, email: str, password: str,
               role: str) -> User:
    """A new account in this workspace; only owners may add admins."""
    if role not in ADDABLE_ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ADDABLE_ROLES)}", field="role")
    if role == "admin" and adder_role != "owner":
        raise Forbidden("only the owner can add an admin", field="role")
    workspace = sess.get(Workspace, workspace_id)
    return service.create_user(sess, email, password, workspace.name, role=role,
                               timezone=workspace.timezone)


def list_api_keys(sess: Session, workspace_id) -> list[ApiKey]:
    return list(sess.scalars(sa.select(ApiKey).where(ApiKey.workspace_id == workspace_id)
                             .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())))
