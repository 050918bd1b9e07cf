"""Workspace members: listing, changing roles, removing (sessions and keys end at once)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth import sessions
from app.auth.models import ROLES, ApiKey, Membership, User
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed


@dataclass(frozen=True)
class Operator:
    """Whoever runs `openpost member …` on the server: acts as an owner, audited as "cli"."""
    role: str = "owner"
    user_id: uuid.UUID | None = None


def actor_label(actor) -> str:
    """The audit actor of a membership (or the Operator) doing something."""
    return f"user:{actor.user_id}" if actor.user_id else "cli"


def member_id_of(sess: Session, workspace_id, email: str) -> uuid.UUID:
    user_id = sess.scalar(sa.select(Membership.user_id).join(User).where(
        Membership.workspace_id == workspace_id,
        sa.func.lower(User.email) == (email or "").strip().lower()))
    if user_id is None:
        raise NotFound(f"no member {email} in this workspace")
    return user_id


def list_members(sess: Session, workspace_id) -> list[tuple[User, str]]:
    rows = sess.execute(sa.select(User, Membership.role).join(
        Membership, Membership.user_id == User.id).where(Membership.workspace_id == workspace_id)
        .order_by(Membership.created_at, User.email))
    return [(user, role) for user, role in rows]


def list_api_keys(sess: Session, workspace_id) -> list[ApiKey]:
    return list(sess.scalars(sa.select(ApiKey).where(ApiKey.workspace_id == workspace_id)
                             .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())))


def may_manage(actor_role: str, target_role: str, new_role: str | None = None) -> bool:
    """Owners manage everyone; admins manage members only and cannot hand out admin or owner."""
    if actor_role == "owner":
        return True
    return actor_role == "admin" and target_role == "member" and new_role in (None, "member")


def _target(sess: Session, workspace_id, member_id) -> Membership:
    target = sess.scalar(sa.select(Membership).where(
        Membership.workspace_id == workspace_id, Membership.user_id == member_id)
        .with_for_update(of=Membership))
    if target is None:
        raise NotFound("no such member in this workspace")
    return target


def _keep_an_owner(sess: Session, target: Membership, doing: str) -> None:
    """Refuse to leave the workspace without an owner (owner rows locked: two owners demoting
    each other at once cannot both succeed)."""
    if target.role != "owner":
        return
    owners = sess.scalars(sa.select(Membership.user_id).where(
        Membership.workspace_id == target.workspace_id, Membership.role == "owner")
        .with_for_update()).all()
    if len(owners) <= 1:
        raise Conflict(f"the last owner cannot be {doing}; make another member owner first")


def change_role(sess: Session, workspace_id, actor: Membership, member_id: uuid.UUID,
                role: str) -> Membership:
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", field="role")
    target = _target(sess, workspace_id, member_id)
    if not may_manage(actor.role, target.role, role):
        raise Forbidden("only an owner can change the role of an admin or owner, or make one")
    if target.role != role:
        if role != "owner":
            _keep_an_owner(sess, target, "demoted")
        audit.record(sess, workspace_id, actor_label(actor), "member.role_changed",
                     target_type="user", target_id=member_id, before={"role": target.role},
                     after={"role": role})
        target.role = role
    sess.commit()
    return target


def _revoke_keys_of(sess: Session, workspace_id, member_id, actor: str) -> list[str]:
    """Revoke the live keys the member created here; their prefixes."""
    keys = sess.execute(sa.update(ApiKey).where(
        ApiKey.workspace_id == workspace_id, ApiKey.created_by == member_id,
        ApiKey.revoked_at.is_(None)).values(revoked_at=sa.func.now())
        .returning(ApiKey.id, ApiKey.prefix)).all()
    for key in keys:
        audit.record(sess, workspace_id, actor, "apikey.revoked", target_type="api_key",
                     target_id=key.id, before={"prefix": key.prefix},
                     after={"reason": "member removed"})
    return sorted(key.prefix for key in keys)


@dataclass(frozen=True)
class Removed:
    email: str
    sessions_ended: int
    keys_revoked: int


def remove(sess: Session, workspace_id, actor: Membership, member_id: uuid.UUID) -> Removed:
    """Take access away now: the membership, every session of the account, and the API keys
    this member created here (keys act for the workspace, so they would outlive the member).
    An account left with no workspace is deleted."""
    target = _target(sess, workspace_id, member_id)
    if not may_manage(actor.role, target.role):
        raise Forbidden("only an owner can remove an admin or an owner")
    _keep_an_owner(sess, target, "removed")
    user = target.user
    keys = _revoke_keys_of(sess, workspace_id, member_id, actor_label(actor))
    ended = sessions.end_all(sess, member_id)
    audit.record(sess, workspace_id, actor_label(actor), "member.removed",
                 target_type="user", target_id=member_id,
                 before={"email": user.email, "role": target.role},
                 after={"sessions_ended": ended,
                        "api_keys_revoked": keys})
    sess.delete(target)
    sess.flush()
    sess.expire(user, ["memberships"])
    if not user.memberships:
        sess.delete(user)
    sess.commit()
    return Removed(user.email, ended, len(keys))
