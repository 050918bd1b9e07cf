"""Browser sessions, one row each: sign-out ends this one, "everywhere" ends them all."""

from __future__ import annotations

import secrets
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import User, UserSession
from app.auth.service import hash_key, record_for_user

# One indexed lookup per request: the user whose session row has this token's digest.
_USER_OF = sa.select(User).join(UserSession, UserSession.user_id == User.id).where(
    UserSession.id == sa.bindparam("digest"))


def start(sess: Session, user: User) -> User:
    """A new session for the user; the token goes into the (signed) cookie via get_id()."""
    token = secrets.token_urlsafe(32)
    sess.add(UserSession(id=hash_key(token), user_id=user.id))
    sess.commit()
    user.session_token = token
    return user


def load(sess: Session, token: str | None) -> User | None:
    """flask-login's user loader: the user of a live session, else None."""
    if not token or len(token) > 128:
        return None
    user = sess.scalars(_USER_OF, {"digest": hash_key(token)}).first()
    if user is not None:
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
