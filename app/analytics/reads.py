"""What the pages, the API and the CSV export read: a post's figures and their curve, and a
workspace's totals, trends, top posts and weekday-by-hour engagement.

Figures are each post's latest successful measurement. A figure is summed only over the posts
that reported it; a figure no post reported stays absent (shown as "not available", never 0).
"""

from __future__ import annotations

import importlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.analytics.collectors import METRICS, NEEDS_SCOPE, engagement, unmeasured
from app.analytics.models import MetricDue, PostMetric
from app.analytics.service import snapshot_json
from app.channels.models import Channel
from app.errors import ValidationFailed

WINDOWS = (7, 30, 90)
MAX_DAYS = 366
MIN_SAMPLE = 5  # posts in a weekday-and-hour slot before it may be suggested
CORE = ("impressions", "likes", "replies")  # shown for every platform, "not available" or not
# What a post of a channel the platform never measures says instead (before its first
# measurement, or measured as "needs scope" before OpenPost knew a reconnect cannot help).
UNMEASURED_BEFORE = ("pending", "needs_scope")


def figures_of(platform: str) -> tuple[str, ...]:
    """The figures `platform` reports, in page order; the core ones are always listed."""
    try:
        module = importlib.import_module(f"app.platforms.{platform}.metrics")
        given = set(module.MetricsCollector.figures)
    except (ImportError, AttributeError):
        given = set()
    return tuple(m for m in METRICS if m in given or m in CORE)


def post_metrics(sess: Session, post, platform: str) -> dict:
    """A post's latest figures (each with when it was measured) and its series."""
    rows = list(sess.scalars(sa.select(PostMetric).where(PostMetric.post_id == post.id)
                             .order_by(PostMetric.measured_at, PostMetric.id)))
    due = sess.scalar(sa.select(sa.func.min(MetricDue.due_at))
                      .where(MetricDue.post_id == post.id))
    latest_ok = next((r for r in reversed(rows) if r.status == "ok"), None)
    last = rows[-1] if rows else None
    names = figures_of(platform)
    status, detail = (last.status, last.detail) if last else ("pending", None)
    channel = sess.get(Channel, post.channel_id)
    why = unmeasured(platform, channel.settings if channel else None)
    if why and status in UNMEASURED_BEFORE:
        # The platform never gives these figures: say so from the start (no call is made).
        status, detail, due = "not_available", why, None
    return {
        "post_id": str(post.id), "platform": platform,
        "status": status, "detail": detail,
        "measured_at": _iso(latest_ok.measured_at) if latest_ok else None,
        "metrics": {n: (latest_ok.metrics.get(n) if latest_ok else None) for n in names},
        "not_available": [n for n in names if not latest_ok or n not in latest_ok.metrics],
        "next_measurement_at": _iso(due),
        "series": [snapshot_json(r) for r in rows],
    }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


@dataclass
class Filters:
    start: date
    end: date  # inclusive
    channel_id: uuid.UUID | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_filters(args, today: date | None = None, default_days: int = 30) -> Filters:
    """channel_id, from and to (YYYY-MM-DD, inclusive) or days (7, 30, 90); bad input is
    refused naming the field."""
    today = today or datetime.now(UTC).date()
    channel = args.get("channel_id") or None
    try:
        channel_id = uuid.UUID(channel) if channel else None
    except ValueError:
        raise ValidationFailed("channel_id must be a channel id", field="channel_id") from None
    days = args.get("days")
    if days not in (None, ""):
        if days not in {str(w) for w in WINDOWS}:
            raise ValidationFailed("days must be 7, 30 or 90", field="days")
        return Filters(today - timedelta(days=int(days) - 1), today, channel_id)
    end = _day(args, "to") or today
    start = _day(args, "from") or end - timedelta(days=default_days - 1)
    if start > end:
        raise ValidationFailed("from must not be after to", field="from")
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(f"at most {MAX_DAYS} days at once", field="from")
    return Filters(start, end, channel_id)


def _day(args, name: str) -> date | None:
    if not args.get(name):
        return None
    try:
        return date.fromisoformat(args[name])
    except ValueError:
        raise ValidationFailed(f"{name} must be a date written YYYY-MM-DD, not "
                               f"{args[name][:40]!r}", field=name) from None


_POSTS = sa.text("""
SELECT p.id, p.channel_id, c.platform, c.handle, c.timezone, c.settings, p.published_at, p.text,
       p.live_url, l.status, l.metrics, l.measured_at, last.status AS last_status
FROM posts AS p
JOIN channels AS c ON c.id = p.channel_id
LEFT JOIN LATERAL (SELECT m.status, m.metrics, m.measured_at FROM post_metrics AS m
                   WHERE m.post_id = p.id AND m.status = 'ok'
                   ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS l ON true
LEFT JOIN LATERAL (SELECT m.status FROM post_metrics AS m WHERE m.post_id = p.id
                   ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS last ON true
WHERE p.workspace_id = :ws AND p.state = 'published' AND p.published_at IS NOT NULL
  AND p.published_at >= :start AND p.published_at < :end
  AND (CAST(:channel AS uuid) IS NULL OR p.channel_id = CAST(:channel AS uuid))
ORDER BY p.published_at
""")


@dataclass
class PostFigures:
    id: uuid.UUID
    channel_id: uuid.UUID
    platform: str
    handle: str
    local: datetime  # published, in the channel's time zone
    text: str
    live_url: str | None
    status: str  # the latest measurement's status ("pending" before the first)
    metrics: dict = field(default_factory=dict)  # the latest successful measurement's
    measured_at: datetime | None = None

    @property
    def engagement(self) -> int | None:
        return engagement(self.metrics)


def published(sess: Session, workspace_id, filters: Filters) -> list[PostFigures]:
    """The posts published in the range (a day boundary in UTC, each post then placed on its
    channel's local day), with their latest figures."""
    start = datetime.combine(filters.start, datetime.min.time(), UTC) - timedelta(days=1)
    end = datetime.combine(filters.end, datetime.min.time(), UTC) + timedelta(days=2)
    out = []
    never: dict[uuid.UUID, bool] = {}
    for r in sess.execute(_POSTS, {"ws": workspace_id, "start": start, "end": end,
                                   "channel": str(filters.channel_id) if filters.channel_id
                                   else None}):
        local = r.published_at.astimezone(_zone(r.timezone))
        if not filters.start <= local.date() <= filters.end:
            continue
        status = r.last_status or "pending"
        if r.channel_id not in never:
            never[r.channel_id] = unmeasured(r.platform, r.settings) is not None
        if never[r.channel_id] and status in UNMEASURED_BEFORE:
            status = "not_available"
        out.append(PostFigures(r.id, r.channel_id, r.platform, r.handle, local, r.text or "",
                               r.live_url, status, r.metrics or {}, r.measured_at))
    return out


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def totals(items: list[PostFigures]) -> dict:
    """Sums of each figure over the posts reporting it (absent: no post reported it)."""
    sums: dict[str, int] = {}
    for item in items:
        for name, value in item.metrics.items():
            sums[name] = sums.get(name, 0) + value
    eng = [i.engagement for i in items if i.engagement is not None]
    return {"posts": len(items), "measured": sum(1 for i in items if i.metrics),
            "metrics": {m: sums[m] for m in METRICS if m in sums},
            "engagement": sum(eng) if eng else None}


def daily(items: list[PostFigures], filters: Filters) -> list[dict]:
    """One row per channel and local day of publication with posts (the API's shape)."""
    groups: dict[tuple, list] = defaultdict(list)
    for item in items:
        groups[(str(item.channel_id), item.local.date().isoformat())].append(item)
    return [{"channel_id": ch, "date": day, **totals(group)}
            for (ch, day), group in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))]


def per_day(items: list[PostFigures], filters: Filters) -> list[tuple[date, int | None, int]]:
    """(day, engagement or None when nothing was measured, posts) for every day of the range."""
    eng: dict[date, list[int]] = defaultdict(list)
    count: dict[date, int] = defaultdict(int)
    for item in items:
        count[item.local.date()] += 1
        if item.engagement is not None:
            eng[item.local.date()].append(item.engagement)
    days = [filters.start + timedelta(days=i) for i in range(filters.days)]
    return [(d, sum(eng[d]) if eng.get(d) else None, count.get(d, 0)) for d in days]


def trend(sess: Session, workspace_id, filters: Filters,
          items: list[PostFigures] | None = None) -> dict:
    """This range's totals (of `items` when given) beside the range of the same length just
    before it."""
    before = Filters(filters.start - timedelta(days=filters.days),
                     filters.start - timedelta(days=1), filters.channel_id)
    now = totals(published(sess, workspace_id, filters) if items is None else items)
    then = totals(published(sess, workspace_id, before))
    change = None
    if now["engagement"] is not None and then["engagement"]:
        change = round(100 * (now["engagement"] - then["engagement"]) / then["engagement"])
    return {"current": now, "previous": then, "engagement_change_pct": change}


def top(items: list[PostFigures], n: int = 10) -> list[PostFigures]:
    measured = [i for i in items if i.engagement is not None]
    return sorted(measured, key=lambda i: i.engagement, reverse=True)[:n]


def heatmap(items: list[PostFigures]) -> dict:
    """Average engagement per post for each weekday (0 = Monday) and hour of publication in
    its channel's time zone, with the number of posts measured in each slot."""
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for item in items:
        if item.engagement is not None:
            cells[(item.local.weekday(), item.local.hour)].append(item.engagement)
    grid = {k: (sum(v) / len(v), len(v)) for k, v in cells.items()}
    best = sorted(((avg, n, k) for k, (avg, n) in grid.items() if n >= MIN_SAMPLE),
                  reverse=True)[:3]
    return {"grid": grid, "max": max((a for a, _n in grid.values()), default=0),
            "best": [{"weekday": k[0], "hour": k[1], "average": round(avg, 1), "posts": n}
                     for avg, n, k in best],
            "min_sample": MIN_SAMPLE}


def best_by_channel(items: list[PostFigures]) -> dict[uuid.UUID, list[dict]]:
    """Each channel's suggested best times (its own heatmap's), channels without one left out."""
    mine: dict[uuid.UUID, list[PostFigures]] = defaultdict(list)
    for item in items:
        mine[item.channel_id].append(item)
    found = {channel: heatmap(own)["best"] for channel, own in mine.items()}
    return {channel: best for channel, best in found.items() if best}


@dataclass(frozen=True)
class InsightsNote:
    """What a channel's row and the Analytics page say about its figures."""

    text: str
    reconnect: bool  # a reconnect (asking for the permission again) would help


def insight_notes(sess: Session, workspace_id) -> dict[uuid.UUID, InsightsNote]:
    """Channels whose figures are missing, and why: the platform gives them to no app like
    OpenPost (LinkedIn personal profiles), or the latest measurement found the connection
    without the insights permission and the channel did not change since (a reconnect: the
    next measurement tells again)."""
    notes: dict[uuid.UUID, InsightsNote] = {}
    for channel_id, platform, settings in sess.execute(sa.select(
            Channel.id, Channel.platform, Channel.settings).where(
            Channel.workspace_id == workspace_id)):
        why = unmeasured(platform, settings)
        if why:
            notes[channel_id] = InsightsNote(why, reconnect=False)
    rows = sess.execute(sa.text("""
        SELECT DISTINCT ON (m.channel_id) m.channel_id, m.status,
               m.measured_at >= c.updated_at AS current
        FROM post_metrics AS m JOIN channels AS c ON c.id = m.channel_id
        WHERE m.workspace_id = :ws ORDER BY m.channel_id, m.measured_at DESC, m.id DESC"""),
        {"ws": workspace_id})
    for r in rows:
        if r.status == "needs_scope" and r.current and r.channel_id not in notes:
            notes[r.channel_id] = InsightsNote(NEEDS_SCOPE, reconnect=True)
    return notes


__all__ = ["NEEDS_SCOPE", "WINDOWS", "Filters", "InsightsNote", "PostFigures", "insight_notes",
           "daily", "figures_of", "heatmap", "parse_filters", "per_day", "post_metrics",
           "published", "top", "totals", "trend"]
