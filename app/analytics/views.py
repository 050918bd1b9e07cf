"""The Analytics page (totals, trends, top posts, weekday-by-hour heatmap) and its CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Blueprint, Response, request
from flask_login import login_required

from app import db
from app.analytics import charts, reads
from app.analytics.collectors import LABELS, METRICS
from app.auth.web_auth import current_workspace_id
from app.channels.service import list_channels
from app.errors import ValidationFailed
from app.web import render

bp = Blueprint("analytics", __name__)


@bp.get("/analytics")
@login_required
def index():
    workspace_id = current_workspace_id()
    channels = list_channels(db.session, workspace_id)
    try:
        filters = reads.parse_filters(request.args)
        error = None
    except ValidationFailed as exc:
        filters, error = reads.parse_filters({}), exc
    items = reads.published(db.session, workspace_id, filters)
    trend = reads.trend(db.session, workspace_id, filters, items)
    days = reads.per_day(items, filters)
    heat = reads.heatmap(items)
    return render("analytics/index.html", status=400 if error else 200, error=error,
                  filters=filters, channels=channels, trend=trend, days=days,
                  curve=charts.line([(d.isoformat(), e) for d, e, _n in days],
                                    label="Engagement per day"),
                  heat=heat, heat_svg=charts.heatmap(heat["grid"], heat["max"]),
                  weekdays=charts.WEEKDAYS, top=reads.top(items), labels=LABELS,
                  metric_names=[m for m in METRICS if m in trend["current"]["metrics"]],
                  needs_scope=reads.channels_needing_scope(db.session, workspace_id),
                  windows=reads.WINDOWS, args=request.args)


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
            "curve": charts.line(points, label="Sum of the figures at each measurement")}
