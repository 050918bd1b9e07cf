"""Browser sessions, one row each: sign-out ends this one, "everywhere" ends them all."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import config
from app.auth.models import User, UserSession
from app.auth.service import hash_key, record_for_user

# Sessions end after `idle` without use or `absolute` after sign-in (config.session_lifetimes).
# Last use is written at most once per TOUCH_EVERY, so a request costs one read, not a write.
TOUCH_EVERY = timedelta(hours=1)

# One indexed lookup per request: the user whose live session row has this token's digest,
# and whether that row's last use is old enough to be written again.
_NOW = sa.func.now()
_USER_OF = sa.select(User, UserSession.last_seen_at < _NOW - TOUCH_EVERY).join(
    UserSession, UserSession.user_id == User.id).where(
    UserSession.id == sa.bindparam("digest"),
    UserSession.last_seen_at > _NOW - sa.bindparam("idle", type_=sa.Interval()),
    UserSession.created_at > _NOW - sa.bindparam("absolute", type_=sa.Interval()))


def start(sess: Session, user: User) -> User:
    """A new session for the user (every way of signing in comes here, so it also records the
    sign-in's time); the token goes into the (signed) cookie via get_id()."""
    token = secrets.token_urlsafe(32)
    sess.add(UserSession(id=hash_key(token), user_id=user.id))
    user.last_login_at = sa.func.now()
    sess.commit()
    user.session_token = token
    return user


def load(sess: Session, token: str | None,
         lifetimes: tuple[timedelta, timedelta] | None = None) -> User | None:
    """flask-login's user loader: the user of a live session, else None (signed out)."""
    if not token or len(token) > 128:
        return None
    idle, absolute = lifetimes or config.session_lifetimes()
    digest = hash_key(token)
    row = sess.execute(_USER_OF, {"digest": digest, "idle": idle, "absolute": absolute}).first()
    if row is None:
        return None
    user, stale = row
    if stale:
        sess.execute(sa.update(UserSession).where(UserSession.id == digest)
                     .values(last_seen_at=_NOW))
        sess.commit()  # the loader runs first in a request: nothing else is pending yet
    user.session_token = token
    return user


def end(sess: Session, token: str | None) -> None:
    """Sign-out: only this browser's session ends."""
    if token:
        sess.execute(sa.delete(UserSession).where(UserSession.id == hash_key(token)))
    sess.commit()


def end_all(sess: Session, user_id: uuid.UUID, keep: str | None = None) -> int:
    """End the user's sessions (all, or all but `keep`); returns how many ended. No commit."""
    query = sa.delete(UserSession).where(UserSession.user_id == user_id)
    if keep:
        query = query.where(UserSession.id != hash_key(keep))
    return sess.execute(query).rowcount


def end_everywhere(sess: Session, user: User) -> int:
    """"Sign out everywhere": every session of the user ends, this browser's too."""
    ended = end_all(sess, user.id)
    record_for_user(sess, user, f"user:{user.id}", "sessions.ended_everywhere",
                    after={"sessions_ended": ended})
    sess.commit()
    return ended
