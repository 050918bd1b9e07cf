"""Passwords: changing your own (other sessions end) and owner-issued reset links."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth import links, members, service, sessions
from app.auth.models import Membership, PasswordReset, User
from app.errors import Forbidden, NotFound, ValidationFailed


def change_password(sess: Session, user_id: uuid.UUID, current: str, new: str,
                    keep_session: str | None = None) -> int:
    """Set a new password; every session but `keep_session` ends. Returns how many ended."""
    user = sess.get(User, user_id, with_for_update=True)
    if not service.password_matches(user, current):
        raise ValidationFailed("the current password is wrong", field="current")
    service.check_password_rules(new)
    user.password_hash = service.hasher.hash(new)
    ended = sessions.end_all(sess, user.id, keep=keep_session)
    service.record_for_user(sess, user, f"user:{user.id}", "password.changed",
                            after={"other_sessions_ended": ended})
    sess.commit()
    return ended


@dataclass(frozen=True)
class Issued:
    reset: PasswordReset
    link: str
    mail_note: str


def issue_reset(sess: Session, workspace_id: uuid.UUID, owner: Membership,
                member_id: uuid.UUID) -> Issued:
    """A reset link for a member of this workspace, issued by one of its owners.

    Whoever holds the link can take the account over, so an owner may issue one only for an
    account whose every workspace they own: one workspace's owner never gains another's."""
    if owner.role != "owner":
        raise Forbidden("only an owner can issue a password reset link")
    member = sess.get(Membership, (member_id, workspace_id))
    if member is None:
        raise NotFound("no such member in this workspace")
    owned = set(sess.scalars(sa.select(Membership.workspace_id).where(
        Membership.user_id == owner.user_id, Membership.role == "owner")))
    if owner.user_id and any(m.workspace_id not in owned for m in member.user.memberships):
        raise Forbidden("this member's account is also used outside the workspaces you own; "
                        "they can change their password themselves under Settings → Account")
    token, token_hash = links.new_token("rst")
    now = sess.scalar(sa.select(sa.func.now()))
    reset = PasswordReset(workspace_id=workspace_id, user_id=member_id, token_hash=token_hash,
                          created_by=owner.user_id, expires_at=now + links.RESET_TTL)
    sess.add(reset)
    sess.flush()
    audit.record(sess, workspace_id, members.actor_label(owner), "password.reset_issued",
                 target_type="user", target_id=member_id,
                 after={"reset_id": str(reset.id), "expires_at": reset.expires_at.isoformat()})
    sess.commit()
    link = links.url("reset", token)
    note = links.mail(member.user.email, "Set a new password", (
        f"An owner of your OpenPost workspace issued a link to set a new password:\n{link}\n\n"
        f"It works once and expires on {reset.expires_at:%Y-%m-%d %H:%M} UTC. Using it signs "
        "you out everywhere."))
    return Issued(reset, link, note)


def usable_reset(sess: Session, token: str, *, for_update: bool = False) -> PasswordReset:
    query = sa.select(PasswordReset).where(PasswordReset.token_hash == links.digest(token))
    reset = sess.scalar(query.with_for_update() if for_update else query)
    links.check_usable("password reset", reset, reset and reset.used_at,
                       sess.scalar(sa.select(sa.func.now())))
    return reset


def use_reset(sess: Session, token: str, new: str) -> User:
    """Set the password through a reset link: the link is spent, every session ends."""
    reset = usable_reset(sess, token, for_update=True)
    service.check_password_rules(new)
    user = sess.get(User, reset.user_id, with_for_update=True)
    user.password_hash = service.hasher.hash(new)
    reset.used_at = sa.func.now()
    ended = sessions.end_all(sess, user.id)
    audit.record(sess, reset.workspace_id, f"user:{user.id}", "password.reset_used",
                 target_type="user", target_id=user.id,
                 after={"reset_id": str(reset.id), "sessions_ended": ended})
    sess.commit()
    return user
