"""The Analytics page (totals, trends, top posts, weekday-by-hour heatmap) and its CSV export."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, time

import sqlalchemy as sa
from flask import Blueprint, Response, request
from flask_login import login_required

from app import db
from app.analytics import charts, reads
from app.analytics.collectors import LABELS, METRICS, unmeasured
from app.auth.web_auth import actor, current_workspace_id, roles_required
from app.channels.models import Channel
from app.channels.service import list_channels
from app.errors import DomainError, NotFound, ValidationFailed
from app.recurring import slots
from app.web import render

bp = Blueprint("analytics", __name__)


@bp.get("/analytics")
@login_required
def index():
    try:
        filters = reads.parse_filters(request.args)
        error = None
    except ValidationFailed as exc:
        filters, error = reads.parse_filters({}), exc
    return _page(filters, request.args, status=400 if error else 200, error=error)


@bp.post("/analytics/channels/<uuid:channel_id>/best-times/slots")
@login_required
@roles_required("owner", "admin")
def use_best_times(channel_id: uuid.UUID):
    """The channel's suggested best times, for the range the page showed, become its weekly
    posting slots (on the hour); those it has already are left as they are."""
    workspace_id = current_workspace_id()
    channel = db.session.scalar(sa.select(Channel).where(Channel.id == channel_id,
                                                         Channel.workspace_id == workspace_id))
    if channel is None:
        raise NotFound("no such channel in this workspace")
    try:
        filters = reads.parse_filters(request.form)
    except ValidationFailed as exc:
        return _page(reads.parse_filters({}), {}, status=exc.status, error=exc)
    items = [i for i in reads.published(db.session, workspace_id, filters)
             if i.channel_id == channel.id]
    best = reads.heatmap(items)["best"]
    name = f"{channel.platform.title()} {channel.handle}"
    if not best:
        error = ValidationFailed(f"{name} has no suggested best time in this range yet",
                                 field="channel_id")
        return _page(filters, request.form, status=422, error=error)
    try:
        made, had = slots.add_missing_slots(db.session, workspace_id, actor(), channel.id,
                                            [(b["weekday"], time(b["hour"])) for b in best])
    except DomainError as exc:
        db.session.rollback()
        return _page(filters, request.form, status=exc.status, error=exc)

    def listed(pairs) -> str:
        return ", ".join(f"{slots.WEEKDAYS[d].title()} {t:%H:%M}" for d, t in pairs)
    message = f"Posting slots added to {name}: {listed((s.weekday, s.time) for s in made)}." \
        if made else f"Nothing added: {name} has a posting slot at each best time already."
    if made and had:
        message += f" Already there: {listed(had)}."
    return _page(filters, request.form, message=message)


def _page(filters: reads.Filters, args, status: int = 200, **context):
    workspace_id = current_workspace_id()
    channels = list_channels(db.session, workspace_id)
    items = reads.published(db.session, workspace_id, filters)
    trend = reads.trend(db.session, workspace_id, filters, items)
    days = reads.per_day(items, filters)
    heat = reads.heatmap(items)
    return render("analytics/index.html", status=status, filters=filters, channels=channels,
                  trend=trend, days=days, best_by_channel=reads.best_by_channel(items),
                  curve=charts.line([(d.isoformat(), e) for d, e, _n in days],
                                    label="Engagement per day"),
                  heat=heat, heat_svg=charts.heatmap(heat["grid"], heat["max"]),
                  weekdays=charts.WEEKDAYS, top=reads.top(items), labels=LABELS,
                  metric_names=[m for m in METRICS if m in trend["current"]["metrics"]],
                  notes=reads.insight_notes(db.session, workspace_id),
                  windows=reads.WINDOWS, args=args, **context)


@bp.get("/analytics.csv")
@login_required
def export():
    """One row per published post in the range with its latest figures; an empty cell is a
    figure the platform does not give (not 0)."""
    filters = reads.parse_filters(request.args)
    items = reads.published(db.session, current_workspace_id(), filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["post_id", "channel_id", "platform", "handle", "published_local", "status",
                     "measured_at", *METRICS, "engagement", "live_url"])
    for i in items:
        writer.writerow([i.id, i.channel_id, i.platform, _cell(i.handle), i.local.isoformat(),
                         i.status,
                         i.measured_at.isoformat() if i.measured_at else "",
                         *[i.metrics.get(m, "") for m in METRICS],
                         "" if i.engagement is None else i.engagement, i.live_url or ""])
    name = f"analytics-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is kept as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def post_figures(post, channel) -> dict:
    """The post page's figures and curve (a published post only)."""
    if post.state != "published":
        return {"figures": None}
    figures = reads.post_metrics(db.session, post, channel.platform)
    # The page shows times in the workspace's zone: back from ISO 8601 to datetimes.
    for item in (figures, *figures["series"]):
        for key in ("measured_at", "next_measurement_at"):
            if item.get(key):
                item[key] = datetime.fromisoformat(item[key])
    points = [(s["stage"], sum(s["metrics"].values()) if s["metrics"] else None)
              for s in figures["series"]]
    return {"figures": figures, "labels": LABELS,
            "unmeasured": unmeasured(channel.platform, channel.settings),
            "curve": charts.line(points, label="Sum of the figures at each measurement")}
