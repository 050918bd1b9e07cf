"""Live badges: which of the posts a page shows as live changed since the page last saw them."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.posts.lifecycle import is_live
from app.posts.models import Post
from app.posts.reads import id_list

MAX_KEYS = 500  # more badges than any page shows


def parse_keys(values: Iterable[str]) -> dict[uuid.UUID, int]:
    """`<post id>.<version>` keys, as the live badges carry them, by post id."""
    seen: dict[uuid.UUID, int] = {}
    for value in values:
        ident, _, version = value.partition(".")
        try:
            seen[uuid.UUID(ident)] = int(version)
        except ValueError as exc:
            raise ValidationFailed("live must be <post id>.<version> keys from the page",
                                   field="live") from exc
    if len(seen) > MAX_KEYS:
        raise ValidationFailed(f"live names at most {MAX_KEYS} posts", field="live")
    return seen


def changes(sess: Session, workspace_id: uuid.UUID, seen: dict[uuid.UUID, int]) -> tuple[list[Post], bool]:
    """(the posts whose version moved on, whether any of them is still live). One cheap
    query of ids and versions; only the changed posts are loaded whole."""
    if not seen:
        return [], False
    rows = sess.execute(_versions(), {"ws": workspace_id,
                                      "ids": ",".join(str(i) for i in seen)}).all()
    moved = [r.id for r in rows if r.version != seen[r.id]]
    still_live = any(is_live(r.state) for r in rows)
    if not moved:
        return [], still_live
    posts = sess.scalars(sa.select(Post).where(Post.id.in_(moved))).all()
    return sorted(posts, key=lambda p: moved.index(p.id)), still_live


@functools.cache
def _versions() -> sa.Select[Any]:
    c = Post.__table__.c
    return sa.select(c.id, c.version, c.state).where(c.workspace_id == sa.bindparam("ws"),
                                                     c.id == sa.any_(id_list()))
