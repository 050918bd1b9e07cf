"""Reading recurring rules: their JSON shape and their next occurrences."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.posts.models import Post
from app.recurring.models import RecurringRule, RuleOccurrence
from app.recurring.times import upcoming
from app.timeutil import iso


def rule_json(rule: RecurringRule, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    return {"id": str(rule.id), "name": rule.name, "channel_ids": list(rule.channel_ids),
            "text": rule.text, "parts": rule.parts, "media_ids": list(rule.media_ids or []),
            "options": dict(rule.options or {}), "overrides": dict(rule.overrides or {}),
            "timezone": rule.timezone, "rule": dict(rule.cron), "starts_at": iso(rule.starts_at),
            "ends_at": iso(rule.ends_at), "count": rule.count, "paused": rule.paused,
            "next_occurrences": [iso(t) for t in upcoming(rule, now, 5)],
            "created_at": iso(rule.created_at), "updated_at": iso(rule.updated_at)}


def occurrences(sess: Session, rule: RecurringRule, now: datetime, n: int = 10) -> list[dict]:
    """The next n occurrences (at least every post made): the posts made for them, then the
    times to come beyond the horizon (state "upcoming", no post yet)."""
    made = sess.execute(
        sa.select(RuleOccurrence.occurs_at, Post.id, Post.channel_id, Post.state)
        .join(Post, Post.id == RuleOccurrence.post_id)
        .where(RuleOccurrence.rule_id == rule.id, RuleOccurrence.occurs_at >= now)
        .order_by(RuleOccurrence.occurs_at)).all()
    out = [{"occurs_at": at, "post_id": str(pid), "channel_id": str(cid), "state": state}
           for at, pid, cid, state in made]
    last = max((at for at, *_ in made), default=None)
    if not rule.paused:
        for moment in upcoming(rule, now, n):
            if last is None or moment > last:
                out += [{"occurs_at": moment, "post_id": None, "channel_id": c,
                         "state": "upcoming"} for c in rule.channel_ids]
    return out[:max(n, len(made))]
