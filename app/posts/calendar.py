"""Calendar queries and moves: chips per day (or hour) in a chosen timezone, capped per cell."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.posts import service
from app.posts.lifecycle import PostState, can_retry
from app.posts.models import Post
from app.timeutil import localize, to_local, zone

CHIPS_PER_DAY = 4
CHIPS_PER_HOUR = 3
SNIPPET = 60


@dataclass(frozen=True)
class Chip:
    id: uuid.UUID
    state: str
    schedule_at: datetime
    channel_id: uuid.UUID
    snippet: str


def month_days(anchor: date) -> list[date]:
    """Whole weeks (Monday first) covering anchor's month."""
    first = anchor.replace(day=1)
    start = first - timedelta(days=first.weekday())
    following = (first + timedelta(days=32)).replace(day=1)
    end = following + timedelta(days=(7 - following.weekday()) % 7)
    return [start + timedelta(days=i) for i in range((end - start).days)]


def week_days(anchor: date) -> list[date]:
    start = anchor - timedelta(days=anchor.weekday())
    return [start + timedelta(days=i) for i in range(7)]


def _bounds(days: list[date], tz_name: str) -> tuple[datetime, datetime]:
    tz = zone(tz_name)
    return (datetime.combine(days[0], time(), tz).astimezone(UTC),
            datetime.combine(days[-1] + timedelta(days=1), time(), tz).astimezone(UTC))


def chips(sess: Session, workspace_id: uuid.UUID, days: list[date], tz_name: str, *,
          by_hour: bool = False, channel_id: uuid.UUID | None = None, state: str | None = None
          ) -> tuple[dict[Any, list[Chip]], dict[Any, int]]:
    """({cell: [Chip]}, {cell: total}) in one query; a cell is a date, or (date, hour) by hour.

    At most CHIPS_PER_DAY (or _PER_HOUR) chips per cell come back, so the page stays small
    however many posts a day holds. Only `channel_id`'s posts when given; only posts in
    `state` when given, else all but canceled ones.
    """
    start, end = _bounds(days, tz_name)
    local = sa.func.timezone(tz_name, Post.schedule_at)
    cell = sa.func.date_trunc("hour" if by_hour else "day", local)
    snippet = sa.func.left(sa.func.coalesce(Post.text, Post.parts[0]["text"].astext, ""), SNIPPET)
    ranked = sa.select(
        Post.id, Post.state, Post.schedule_at, Post.channel_id, snippet.label("snippet"),
        cell.label("cell"),
        sa.func.row_number().over(partition_by=cell, order_by=(Post.schedule_at, Post.id))
        .label("rn"),
        sa.func.count().over(partition_by=cell).label("total"),
    ).where(Post.workspace_id == workspace_id, Post.schedule_at >= start,
            Post.schedule_at < end,
            Post.state == state if state else Post.state != PostState.CANCELED.value,
            *([Post.channel_id == channel_id] if channel_id else [])).subquery()
    cap = CHIPS_PER_HOUR if by_hour else CHIPS_PER_DAY
    rows = sess.execute(sa.select(ranked).where(ranked.c.rn <= cap)
                        .order_by(ranked.c.cell, ranked.c.rn))
    cells: dict[Any, list[Chip]] = {}
    totals: dict[Any, int] = {}
    for row in rows:
        key = (row.cell.date(), row.cell.hour) if by_hour else row.cell.date()
        cells.setdefault(key, []).append(Chip(row.id, row.state, row.schedule_at,
                                              row.channel_id, row.snippet))
        totals[key] = row.total
    return cells, totals


def new_time(sess: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, tz_name: str, day: date,
             hour: int | None) -> datetime:
    """The post's time moved to `day` (and `hour`), keeping its wall-clock time in tz_name."""
    post = service.get_post(sess, workspace_id, post_id)
    current = to_local(post.schedule_at, tz_name) if post.schedule_at else None
    clock = current.time().replace(tzinfo=None) if current else time(9, 0)
    if hour is not None:
        clock = clock.replace(hour=hour)
    return localize(datetime.combine(day, clock), zone(tz_name))


def move(sess: Session, workspace_id: uuid.UUID, post_id: uuid.UUID, actor: str,
         when: datetime) -> Post:
    """A new time: a failed post is retried then; a draft or a scheduled post keeps its state
    (only Schedule makes a draft go out)."""
    post = service.get_post(sess, workspace_id, post_id)
    if can_retry(post.state):
        return service.retry(sess, workspace_id, post_id, actor, schedule_at=when)
    return service.update_post(sess, workspace_id, post_id, actor, schedule_at=when)
