"""The post's read shape (docs/architecture.md, REST API), shared by the API and webhooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.posts.models import Post, PostEvent
from app.timeutil import iso

# Writes a time of the read shape: ISO 8601 text (iso), or the datetime kept (keep_datetime).
Stamp = Callable[[datetime | None], Any]


def _read(table: sa.FromClause, *names: str) -> tuple[sa.ColumnElement[Any], ...]:
    """Columns for reading plain rows; ids come as PostgreSQL's text of them (what str() of a
    uuid.UUID gives), so no UUID object is built per value only to be turned back into text."""
    return tuple(sa.cast(table.c[n], sa.Text).label(n) if isinstance(table.c[n].type, sa.Uuid)
                 else table.c[n] for n in names)


# Exactly the columns post_summary and event_json read: the API's list loads these as plain rows
# (no ORM objects), and a column missing here fails that endpoint rather than drifting from it.
SUMMARY_COLUMNS = _read(
    Post.__table__, "id", "channel_id", "group_id", "state", "schedule_at", "timezone", "text",
    "parts", "media_ids", "options", "live_url", "provider_post_id", "results", "warnings",
    "attempts", "next_attempt_at", "error_code", "error_message", "published_at", "created_at",
    "updated_at", "version")
EVENT_COLUMNS = _read(PostEvent.__table__, "post_id", "from_state", "to_state", "actor",
                      "created_at", "request_id", "detail")

def _parts(post: Post) -> list[dict[str, Any]] | None:
    if post.parts is None:
        return None
    results = {r.get("index"): r for r in post.results or []}
    out = []
    for i, part in enumerate(post.parts):
        result = results.get(i, {})
        out.append({"text": part.get("text", ""), "media_ids": part.get("media_ids", []),
                    "provider_post_id": result.get("provider_post_id"),
                    "live_url": result.get("live_url")})
    return out


def post_summary(post: Post, stamp: Stamp = iso) -> dict[str, Any]:
    """The read shape; `stamp` writes its times (ISO 8601 text by default; the API's list keeps
    datetimes, which its response writes as the same text, in C, without a call per value)."""
    return {
        "id": str(post.id),
        "channel_id": str(post.channel_id),
        "group_id": str(post.group_id),
        "state": post.state,
        "schedule_at": stamp(post.schedule_at),
        "timezone": post.timezone,
        "text": post.text,
        "parts": _parts(post),
        "media_ids": [str(m) for m in post.media_ids or []],
        "options": post.options or {},
        "live_url": post.live_url,
        "provider_post_id": post.provider_post_id,
        "results": post.results or [],
        "warnings": post.warnings or [],
        "attempts": post.attempts,
        "next_attempt_at": stamp(post.next_attempt_at),
        "error": ({"code": post.error_code, "message": post.error_message}
                  if post.error_code else None),
        "published_at": stamp(post.published_at),
        "created_at": stamp(post.created_at),
        "updated_at": stamp(post.updated_at),
        "version": post.version,
    }


def event_json(event: PostEvent, stamp: Stamp = iso) -> dict[str, Any]:
    return {"from": event.from_state, "to": event.to_state, "actor": event.actor,
            "at": stamp(event.created_at), "request_id": event.request_id,
            "detail": event.detail or {}}


def post_json(post: Post, events: list[PostEvent], stamp: Stamp = iso) -> dict[str, Any]:
    body = post_summary(post, stamp)
    body["events"] = [event_json(e, stamp) for e in events]
    return body


def keep_datetime(moment: datetime | None) -> datetime | None:
    """A `stamp` that leaves the time as the database gave it (UTC), for
    fastjson.response_with_times to write."""
    return moment
