"""Invites: an owner or admin asks an email address to join; the link works once, for 7 days."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth import links, members, service
from app.auth.models import Invite, Membership, User, Workspace
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed

INVITABLE_ROLES = ("admin", "member")


@dataclass(frozen=True)
class Issued:
    invite: Invite
    link: str
    mail_note: str


def _now(sess: Session):
    return sess.scalar(sa.select(sa.func.now()))


def create(sess: Session, workspace_id: uuid.UUID, inviter: Membership, *, email: str,
           role: str) -> Issued:
    """A new invite (replacing an earlier pending one for the same email); emailed if SMTP is
    set. Says nothing about accounts in other workspaces: the answer is the same either way."""
    email = (email or "").strip()
    if not service.EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed("enter a valid email address", field="email")
    if role not in INVITABLE_ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(INVITABLE_ROLES)}", field="role")
    if role == "admin" and inviter.role != "owner":
        raise Forbidden("only an owner can invite an admin", field="role")
    if sess.scalar(sa.select(Membership.user_id).join(User).where(
            Membership.workspace_id == workspace_id,
            sa.func.lower(User.email) == email.lower())):
        raise Conflict(f"{email} is already a member of this workspace", field="email")
    actor = members.actor_label(inviter)
    for old in _pending(sess, workspace_id, email):
        old.revoked_at = sa.func.now()
        audit.record(sess, workspace_id, actor, "invite.revoked", target_type="invite",
                     target_id=old.id, before={"email": old.email}, after={"replaced": True})
    token, token_hash = links.new_token("inv")
    invite = Invite(workspace_id=workspace_id, email=email, role=role, token_hash=token_hash,
                    created_by=inviter.user_id, expires_at=_now(sess) + links.INVITE_TTL)
    sess.add(invite)
    sess.flush()
    audit.record(sess, workspace_id, actor, "invite.created", target_type="invite",
                 target_id=invite.id, after={"email": email, "role": role})
    sess.commit()
    link = links.url("invite", token)
    workspace = sess.get(Workspace, workspace_id)
    note = links.mail(email, f"Join {workspace.name}", (
        f"You are invited to join the workspace {workspace.name} on OpenPost as {role}.\n\n"
        f"Open this link to set your name and password and join:\n{link}\n\n"
        f"The link works once and expires on {invite.expires_at:%Y-%m-%d %H:%M} UTC."))
    return Issued(invite, link, note)


def _pending(sess: Session, workspace_id, email: str | None = None) -> list[Invite]:
    query = sa.select(Invite).where(Invite.workspace_id == workspace_id,
                                    Invite.accepted_at.is_(None), Invite.revoked_at.is_(None))
    if email is not None:
        query = query.where(sa.func.lower(Invite.email) == email.lower()).with_for_update()
    return list(sess.scalars(query.order_by(Invite.created_at.desc())))


def list_pending(sess: Session, workspace_id) -> list[Invite]:
    return _pending(sess, workspace_id)


def revoke(sess: Session, workspace_id, invite_id, actor: str) -> Invite:
    invite = sess.scalar(sa.select(Invite).where(Invite.id == invite_id,
                                                 Invite.workspace_id == workspace_id)
                         .with_for_update())
    if invite is None:
        raise NotFound("no such invite in this workspace")
    if invite.accepted_at is None and invite.revoked_at is None:
        invite.revoked_at = sa.func.now()
        audit.record(sess, workspace_id, actor, "invite.revoked", target_type="invite",
                     target_id=invite.id, before={"email": invite.email})
    sess.commit()
    return invite


def usable(sess: Session, token: str, *, for_update: bool = False) -> Invite:
    """The invite behind a link, or NotFound / LinkGone saying why it cannot be used."""
    query = sa.select(Invite).where(Invite.token_hash == links.digest(token))
    invite = sess.scalar(query.with_for_update() if for_update else query)
    links.check_usable("invite", invite, invite and invite.accepted_at, _now(sess),
                       invite and invite.revoked_at)
    return invite


def accept(sess: Session, token: str, *, name: str, password: str) -> tuple[User, uuid.UUID]:
    """Join the workspace: a new account with this name and password, or, when the email
    already has one, that account after its password is given. The link is spent."""
    invite = usable(sess, token, for_update=True)
    name = (name or "").strip()
    if len(name) > 120 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ValidationFailed("the name can be at most 120 characters, without control "
                               "characters", field="name")
    user = service.find_user(sess, invite.email, for_update=True)
    if user is None:
        service.check_password_rules(password)
        user = User(email=invite.email, name=name, password_hash=service.hasher.hash(password))
        sess.add(user)
        sess.flush()
    elif not service.password_matches(user, password):
        raise ValidationFailed("this email already has an OpenPost password: enter that one "
                               "to join", field="password")
    if sess.get(Membership, (user.id, invite.workspace_id)) is None:
        sess.add(Membership(user_id=user.id, workspace_id=invite.workspace_id, role=invite.role))
    invite.accepted_at = sa.func.now()
    audit.record(sess, invite.workspace_id, f"user:{user.id}", "invite.accepted",
                 target_type="invite", target_id=invite.id,
                 after={"email": invite.email, "role": invite.role, "user_id": str(user.id)})
    sess.commit()
    return user, invite.workspace_id
