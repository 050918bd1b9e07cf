"""Accounts: workspaces, users, passwords (argon2id) and API keys (stored as hashes)."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.models import ApiKey, Membership, User, Workspace
from app.errors import Conflict, NotFound, ValidationFailed
from app.timeutil import zone

hasher = PasswordHasher()  # argon2id with the library's current parameters
# No control characters (PostgreSQL text cannot hold NUL, and nobody's address has one).
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 hashes any length; this bounds the work one request can ask for
# Verifying against this keeps the time of an unknown-email login like a wrong password's.
_DUMMY_HASH = hasher.hash(secrets.token_hex(8))


def has_users(sess: Session) -> bool:
    return sess.scalar(sa.select(sa.exists().where(User.id.isnot(None))))


def get_workspace(sess: Session, name: str) -> Workspace:
    ws = sess.scalar(sa.select(Workspace).where(Workspace.name == name))
    if ws is None:
        raise NotFound(f"no workspace named {name!r}", field="workspace")
    return ws


def create_user(sess: Session, email: str, password: str, workspace_name: str, *,
                role: str = "owner", timezone: str = "UTC", name: str = "") -> User:
    """Create a user and add them to the workspace, creating it (as its owner) if new."""
    email = (email or "").strip()
    if not EMAIL.match(email):
        raise ValidationFailed("enter a valid email address", field="email")
    check_password_rules(password)
    workspace_name = (workspace_name or "").strip()
    if not workspace_name:
        raise ValidationFailed("the workspace needs a name", field="workspace")
    zone(timezone)
    if sess.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email.lower())):
        raise Conflict("a user with this email already exists", field="email")
    ws = sess.scalar(sa.select(Workspace).where(Workspace.name == workspace_name))
    if ws is None:
        ws = Workspace(name=workspace_name, timezone=timezone)
        sess.add(ws)
        role = "owner"
    user = User(email=email, name=name, password_hash=hasher.hash(password))
    sess.add(user)
    sess.flush()
    sess.add(Membership(user_id=user.id, workspace_id=ws.id, role=role))
    audit.record(sess, ws.id, "system", "user.created", target_type="user",
                 target_id=user.id, after={"email": email, "role": role})
    sess.commit()
    return user


def authenticate(sess: Session, email: str, password: str) -> User | None:
    """The user if the password matches (rehashing it when parameters changed), else None."""
    user = find_user(sess, email)
    if not password_matches(user, password):
        user = None
    if user is not None:
        record_for_user(sess, user, f"user:{user.id}", "login.succeeded")
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
    sess.commit()
    return user


def record_failed_login(sess: Session, email: str) -> None:
    user = find_user(sess, email)
    if user is not None:
        record_for_user(sess, user, "anonymous", "login.failed")
    sess.commit()


def record_for_user(sess: Session, user: User, actor: str, action: str, **details) -> None:
    """One audit entry in each workspace the user belongs to (their account spans them all)."""
    for membership in user.memberships:
        audit.record(sess, membership.workspace_id, actor, action, target_type="user",
                     target_id=user.id, **details)


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(f"the password needs at least {MIN_PASSWORD} characters",
                               field="password")
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(f"the password can be at most {MAX_PASSWORD} characters",
                               field="password")


def find_user(sess: Session, email: str, *, for_update: bool = False) -> User | None:
    query = sa.select(User).where(sa.func.lower(User.email) == (email or "").strip().lower())
    return sess.scalar(query.with_for_update() if for_update else query)


def password_matches(user: User | None, password: str) -> bool:
    """Constant work whether or not the user exists (a dummy hash stands in)."""
    try:
        return hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return False


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_key(sess: Session, workspace_id: uuid.UUID, actor: str, name: str = "",
                   created_by: uuid.UUID | None = None) -> tuple[ApiKey, str]:
    """A new key; its plaintext is returned once and never stored."""
    token = "op_" + secrets.token_urlsafe(32)
    key = ApiKey(workspace_id=workspace_id, name=name, prefix=token[:10],
                 key_hash=hash_key(token), created_by=created_by)
    sess.add(key)
    sess.flush()
    audit.record(sess, workspace_id, actor, "apikey.created", target_type="api_key",
                 target_id=key.id, after={"prefix": key.prefix, "name": name})
    sess.commit()
    return key, token


def revoke_api_key(sess: Session, workspace_id, key_id, actor: str) -> None:
    key = sess.scalar(sa.select(ApiKey).where(ApiKey.id == key_id,
                                              ApiKey.workspace_id == workspace_id))
    if key is None:
        raise NotFound("no such API key in this workspace")
    if key.revoked_at is None:
        key.revoked_at = sa.func.now()
        audit.record(sess, workspace_id, actor, "apikey.revoked", target_type="api_key",
                     target_id=key.id, before={"prefix": key.prefix})
    sess.commit()


# What a request needs of its key: a row of these, not an ORM object, from a statement built
# once (table columns: Core's shorter path through the session), on every API call.
_keys = ApiKey.__table__.c
_LIVE_KEY = sa.select(_keys.id, _keys.workspace_id, _keys.prefix, _keys.created_by,
                      _keys.last_used_at).where(_keys.key_hash == sa.bindparam("key_hash"),
                                                _keys.revoked_at.is_(None))


def api_key_for(sess: Session, token: str) -> sa.Row | None:
    """The live key whose SHA-256 matches the token's (a row: id, workspace_id, prefix,
    created_by, last_used_at), or None.

    Only the digest is compared, by an index lookup: timing can reveal nothing of a stored key
    without a preimage of its hash, and a random 256-bit token needs no slow KDF."""
    key = sess.execute(_LIVE_KEY, {"key_hash": hash_key(token or "")}).first()
    # Writing last_used_at on every request would cost a write and a commit per API call;
    # once a minute is enough to answer "is this key still used?".
    if key is not None and (key.last_used_at is None
                            or datetime.now(UTC) - key.last_used_at > timedelta(minutes=1)):
        sess.execute(sa.update(ApiKey).where(
            ApiKey.id == key.id, sa.or_(ApiKey.last_used_at.is_(None),
                                        ApiKey.last_used_at < sa.func.now() - sa.text(
                                            "interval '1 minute'")))
            .values(last_used_at=sa.func.now()))
        sess.commit()
    return key
