"""Reading posts: a page of a workspace's posts and the events of several posts.

These run on every list request, so each statement is built once (per combination of filters)
and reused with new parameters: building and hashing a select costs more than running it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app import db
from app.posts.models import Post, PostEvent

# Orders of a page of posts: newest created first (the API's), or by scheduled time, earliest
# or latest first. Posts without a time (drafts not yet given one) come after every timed post
# in both time orders: the sort key stands them in at the far end (a bound no real schedule
# reaches). Posts of one key follow their creation (oldest first when earliest first), so a
# (key, created_at, id) cursor pages through all.
ORDERS = ("created", "time", "-time")
NO_TIME_LAST = {"time": datetime(9999, 12, 31, tzinfo=UTC), "-time": datetime(1, 1, 2, tzinfo=UTC)}
SEARCH_MAX = 200


def list_posts(sess: Session, workspace_id: uuid.UUID, *, state: str | None = None,
               channel_id: uuid.UUID | None = None,
               start: datetime | None = None, end: datetime | None = None,
               after: tuple[Any, ...] | None = None, limit: int = 50,
               columns: Sequence[Any] | None = None, order: str = "created",
               search: str | None = None) -> list[Any]:
    """A page of posts in `order` (ORDERS); `after` is cursor() of the last row of the previous
    page: (created_at, id), or (sort key, created_at, id) in a time order. `search` keeps
    posts whose text, or a thread part's text, contains it (any case). With `columns`, plain
    rows (db.records) of just those columns instead of Post objects."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}")
    params = {"workspace_id": workspace_id, "state": state, "channel_id": channel_id,
              "start": start, "end": end, "limit": limit}
    if search:
        params["pattern"] = "%" + search.replace("\\", "\\\\").replace("%", "\\%") \
            .replace("_", "\\_") + "%"
    # Earliest first, a cursor past every timed post reads only the timeless ones.
    timeless = bool(after and order == "time" and after[0] == NO_TIME_LAST["time"])
    if after:
        *key, params["after_at"], params["after_id"] = after
        if key and not timeless:
            params["after_key"] = key[0]
    query = _page(tuple(columns or ()), bool(state), bool(channel_id), bool(start), bool(end),
                  bool(after), order, bool(search), timeless)
    result = sess.execute(query, params)
    return db.records(result) if columns else list(result.scalars())


def cursor(post: Post, order: str = "created") -> tuple[Any, ...]:
    """Where the next page in `order` starts: after this post."""
    if order == "created":
        return post.created_at, post.id
    return post.schedule_at or NO_TIME_LAST[order], post.created_at, post.id


def _key(order: str) -> sa.ColumnElement[Any]:
    c = Post.__table__.c
    if order == "created":
        return c.created_at
    return sa.func.coalesce(c.schedule_at, sa.literal(NO_TIME_LAST[order], c.schedule_at.type))


@functools.cache
def _page(columns: tuple[Any, ...], state: bool, channel: bool, start: bool, end: bool,
          after: bool, order: str = "created", search: bool = False,
          timeless: bool = False) -> sa.Select[Any]:
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
    if search:
        pattern = sa.bindparam("pattern", type_=sa.Text)
        # A text post's parts may be JSON null: no elements to look in.
        thread = sa.case((sa.func.jsonb_typeof(c.parts) == "array", c.parts),
                         else_=sa.cast(sa.literal("[]"), c.parts.type))
        part = sa.func.jsonb_array_elements(thread).table_valued("value").alias("part")
        query = query.where(sa.or_(
            c.text.ilike(pattern, escape="\\"),
            sa.exists(sa.select(1).select_from(part).where(
                part.c.value.op("->>")("text").ilike(pattern, escape="\\")))))
    if order == "time":
        return _earliest_first(query, after, timeless)
    # Latest first and newest created first: all descending, by one tuple.
    columns_ = (c.created_at, c.id) if order == "created" else (_key(order), c.created_at, c.id)
    if after:
        marks = [sa.bindparam("after_at", type_=c.created_at.type),
                 sa.bindparam("after_id", type_=c.id.type)]
        if order != "created":
            marks.insert(0, sa.bindparam("after_key", type_=c.schedule_at.type))
        query = query.where(sa.tuple_(*columns_) < sa.tuple_(*marks))
    return query.order_by(*(col.desc() for col in columns_)).limit(sa.bindparam("limit"))


def _earliest_first(query: sa.Select[Any], after: bool, timeless: bool) -> sa.Select[Any]:
    """Earliest first as the (workspace_id, schedule_at) index reads it: schedule_at ascending
    with the timeless posts (NULL) last, then creation; the cursor's sentinel key stands for
    NULL, so a page after a timed post goes on through the timeless ones."""
    c = Post.__table__.c
    if after:
        at_id = sa.tuple_(sa.bindparam("after_at", type_=c.created_at.type),
                          sa.bindparam("after_id", type_=c.id.type))
        if timeless:
            query = query.where(c.schedule_at.is_(None),
                                sa.tuple_(c.created_at, c.id) > at_id)
        else:
            mark = sa.tuple_(sa.bindparam("after_key", type_=c.schedule_at.type), *at_id.clauses)
            query = query.where(sa.or_(sa.tuple_(c.schedule_at, c.created_at, c.id) > mark,
                                       c.schedule_at.is_(None)))
    return query.order_by(c.schedule_at.asc().nulls_last(), c.created_at.asc(),
                          c.id.asc()).limit(sa.bindparam("limit"))


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
