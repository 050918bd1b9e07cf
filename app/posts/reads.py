"""Reading posts: a page of a workspace's posts and the events of several posts.

These run on every list request, so each statement is built once (per combination of filters)
and reused with new parameters: building and hashing a select costs more than running it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app import db
from app.posts.models import Post, PostEvent


def list_posts(sess: Session, workspace_id: uuid.UUID, *, state: str | None = None,
               channel_id: uuid.UUID | None = None,
               start: datetime | None = None, end: datetime | None = None,
               after: tuple[datetime, uuid.UUID] | None = None, limit: int = 50,
               columns: Sequence[Any] | None = None) -> list[Any]:
    """Newest first; `after` is the (created_at, id) of the last row of the previous page. With
    `columns`, plain rows (db.records) of just those columns instead of Post objects."""
    params: dict[str, Any] = {"workspace_id": workspace_id, "state": state, "channel_id": channel_id,
              "start": start, "end": end, "limit": limit}
    if after:
        params["after_at"], params["after_id"] = after
    query = _page(tuple(columns or ()), bool(state), bool(channel_id), bool(start), bool(end),
                  bool(after))
    result = sess.execute(query, params)
    return db.records(result) if columns else list(result.scalars())


@functools.cache
def _page(columns: tuple[Any, ...], state: bool, channel: bool, start: bool, end: bool,
          after: bool) -> sa.Select[Any]:
    # Table columns, not ORM attributes, in the clauses: a select of plain columns then takes
    # Core's shorter path through the session.
    c = Post.__table__.c
    query = sa.select(*(columns or (Post,))).where(c.workspace_id == sa.bindparam("workspace_id"))
    if state:
        query = query.where(c.state == sa.bindparam("state"))
    if channel:
        query = query.where(c.channel_id == sa.bindparam("channel_id"))
    if start:
        query = query.where(c.schedule_at >= sa.bindparam("start"))
    if end:
        query = query.where(c.schedule_at < sa.bindparam("end"))
    if after:
        query = query.where(sa.tuple_(c.created_at, c.id) < sa.tuple_(
            sa.bindparam("after_at", type_=c.created_at.type),
            sa.bindparam("after_id", type_=c.id.type)))
    return query.order_by(c.created_at.desc(), c.id.desc()).limit(sa.bindparam("limit"))


def post_events(sess: Session, post_ids: list[uuid.UUID], *, columns: Sequence[Any] | None = None
                ) -> dict[uuid.UUID, list[Any]]:
    """Events of several posts in one query, oldest first, by post id; with `columns`, plain
    rows of just those columns instead of PostEvent objects."""
    grouped: dict[uuid.UUID, list[Any]] = {pid: [] for pid in post_ids}
    if post_ids:
        result = sess.execute(_events(tuple(columns or ())),
                              {"ids": ",".join(str(p) for p in post_ids)})
        for event in (db.records(result) if columns else result.scalars()):
            grouped[event.post_id].append(event)
    return grouped


@functools.cache
def _events(columns: tuple[Any, ...]) -> sa.Select[Any]:
    c = PostEvent.__table__.c
    return sa.select(*(columns or (PostEvent,))).where(
        c.post_id == sa.any_(id_list())).order_by(c.id)


def id_list(name: str = "ids") -> sa.Cast[Any]:
    """Post ids as one comma-joined text parameter: the same statement (prepared once per
    connection) for any number of posts, and no array to quote element by element."""
    return sa.cast(sa.func.string_to_array(sa.bindparam(name, type_=sa.Text), ","),
                   ARRAY(sa.Uuid))
